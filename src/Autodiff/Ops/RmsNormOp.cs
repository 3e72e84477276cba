using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// y = x·rstd·gamma per row, rstd = 1/sqrt(mean(x²) + eps), frozen gamma. Keeps x and rstd; the backward
/// is dx = rstd·g − x·rstd³·mean(g·x) with g = dy·gamma.
/// </summary>
public sealed class RmsNormOp
{
    private readonly Tensor _gamma;
    private readonly float _eps;
    private Tensor? _x;
    private float[] _rstd = [];

    public RmsNormOp(Tensor gamma, float eps)
    {
        _gamma = gamma;
        _eps = eps;
    }

    public void Forward(Tensor x, Tensor y)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        OpChecks.Require(_gamma.Count == d && y.Count == x.Count, $"rmsnorm: x {x.Shape}, gamma {_gamma.Shape}, y {y.Shape}");
        _x = x;
        if (_rstd.Length != rows) _rstd = new float[rows];
        var rstd = _rstd;
        CpuParallelFor.For(rows, d, r =>
        {
            var xr = x.Span.Slice(r * d, d);
            var yr = y.Span.Slice(r * d, d);
            var g = _gamma.Span;
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double)xr[i] * xr[i];
            double inv = 1.0 / Math.Sqrt(ss / d + _eps);
            rstd[r] = (float)inv;
            for (int i = 0; i < d; i++) yr[i] = (float)(xr[i] * inv * g[i]);
        });
    }

    public void Backward(Tensor dy, Tensor dx)
    {
        var x = _x ?? throw new InvalidOperationException("rmsnorm backward before forward");
        NormGradients.RmsNormBackward(x, _gamma, dy, dx, _eps, _rstd);
    }
}
