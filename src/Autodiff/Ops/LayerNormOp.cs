using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// y = (x − mean)·rstd·gamma + beta per row, with frozen gamma and beta. Keeps x and each row's mean and
/// rstd = 1/sqrt(var + eps); the backward is dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gamma.
/// </summary>
public sealed class LayerNormOp
{
    private readonly Tensor _gamma;
    private readonly Tensor? _beta;
    private readonly float _eps;
    private Tensor? _x;
    private float[] _mean = [];
    private float[] _rstd = [];

    public LayerNormOp(Tensor gamma, Tensor? beta, float eps)
    {
        _gamma = gamma;
        _beta = beta;
        _eps = eps;
    }

    public void Forward(Tensor x, Tensor y)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        OpChecks.Require(_gamma.Count == d && (_beta is null || _beta.Count == d) && y.Count == x.Count,
            $"layernorm: x {x.Shape}, gamma {_gamma.Shape}, y {y.Shape}");
        _x = x;
        if (_mean.Length != rows) { _mean = new float[rows]; _rstd = new float[rows]; }
        var mean = _mean; var rstd = _rstd;
        CpuParallelFor.For(rows, d, r =>
        {
            var xr = x.Span.Slice(r * d, d);
            var yr = y.Span.Slice(r * d, d);
            var g = _gamma.Span;
            double m = 0, v = 0;
            for (int i = 0; i < d; i++) m += xr[i];
            m /= d;
            for (int i = 0; i < d; i++) { double t = xr[i] - m; v += t * t; }
            double inv = 1.0 / Math.Sqrt(v / d + _eps);
            mean[r] = (float)m;
            rstd[r] = (float)inv;
            if (_beta is null)
                for (int i = 0; i < d; i++) yr[i] = (float)((xr[i] - m) * inv * g[i]);
            else
            {
                var b = _beta.Span;
                for (int i = 0; i < d; i++) yr[i] = (float)((xr[i] - m) * inv * g[i] + b[i]);
            }
        });
    }

    public void Backward(Tensor dy, Tensor dx)
    {
        var x = _x ?? throw new InvalidOperationException("layernorm backward before forward");
        NormGradients.LayerNormBackward(x, _gamma, dy, dx, _eps, _mean, _rstd);
    }
}
