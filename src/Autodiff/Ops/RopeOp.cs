using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// Rotary position embedding on x [B,T,H,hd] (pairs (2i, 2i+1) rotated by pos·theta^(−2i/hd), as in
/// <see cref="IKernels.Rope"/>). A rotation's transpose is its inverse, so the backward rotates the
/// gradient by the opposite angle.
/// </summary>
public static class RopeOp
{
    /// <summary>Rotates x in place.</summary>
    public static void Forward(IKernels kernels, Tensor x, int startPos, float theta) => kernels.Rope(x, startPos, theta);

    /// <summary>dx += R(−angle)·dy. dx and dy must be different tensors; see <see cref="BackwardInPlace"/>.</summary>
    public static void Backward(Tensor dy, Tensor dx, int startPos, float theta)
    {
        OpChecks.Require(dy.Shape.Equals(dx.Shape), $"rope backward: dy {dy.Shape}, dx {dx.Shape}");
        Rotate(dy, dx, startPos, theta, accumulate: true);
    }

    /// <summary>
    /// Turns the gradient with respect to the rotated values into the gradient with respect to the values
    /// before rotation, in the same buffer: the match of an in-place forward.
    /// </summary>
    public static void BackwardInPlace(Tensor grad, int startPos, float theta) => Rotate(grad, grad, startPos, theta, accumulate: false);

    private static void Rotate(Tensor src, Tensor dst, int startPos, float theta, bool accumulate)
    {
        OpChecks.Require(src.Shape.Rank == 4 && src.Shape[3] % 2 == 0, $"rope: x must be [B,T,H,even headDim], got {src.Shape}");
        int B = src.Shape[0], T = src.Shape[1], H = src.Shape[2], hd = src.Shape[3], half = hd / 2;
        var cos = new float[T * half];
        var sin = new float[T * half];
        for (int t = 0; t < T; t++)
        for (int i = 0; i < half; i++)
        {
            double angle = (startPos + t) * Math.Pow(theta, -(double)(2 * i) / hd);
            cos[t * half + i] = (float)Math.Cos(angle);
            sin[t * half + i] = (float)Math.Sin(angle);
        }
        OpChecks.For(B * T, (long)H * hd, bt =>
        {
            int t = bt % T;
            var S = src.Span.Slice(bt * H * hd, H * hd);
            var D = dst.Span.Slice(bt * H * hd, H * hd);
            for (int h = 0; h < H; h++)
            for (int i = 0; i < half; i++)
            {
                int o = h * hd + 2 * i;
                float c = cos[t * half + i], s = sin[t * half + i];
                float g0 = S[o], g1 = S[o + 1];
                float r0 = g0 * c + g1 * s, r1 = g1 * c - g0 * s;
                if (accumulate) { D[o] += r0; D[o + 1] += r1; }
                else { D[o] = r0; D[o + 1] = r1; }
            }
        });
    }
}
