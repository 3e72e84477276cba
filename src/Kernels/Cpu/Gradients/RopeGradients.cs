using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host rotation of a gradient through rotary position embedding: R(−angle) applied to each pair
/// (2i, 2i+1) of x [B,T,H,hd], the transpose (and inverse) of <see cref="IKernels.Rope"/>'s rotation.
/// </summary>
public static class RopeGradients
{
    /// <summary>dst = R(−angle)·src, or dst += it with <paramref name="accumulate"/>; src and dst may be the same tensor when not accumulating.</summary>
    public static void Rotate(Tensor src, Tensor dst, int startPos, float theta, bool accumulate)
    {
        GradientChecks.Require(src.Shape.Rank == 4 && src.Shape[3] % 2 == 0 && src.Shape.Equals(dst.Shape),
            $"rope backward: x must be [B,T,H,even headDim], got {src.Shape} and {dst.Shape}");
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
        CpuParallelFor.For(B * T, (long)H * hd, bt =>
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
