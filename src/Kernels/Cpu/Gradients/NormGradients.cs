using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host backward of LayerNorm and RMSNorm per row, with frozen gamma. A caller that kept the forward's
/// statistics passes them; otherwise they are recomputed from x in double precision, as the forward does.
/// </summary>
public static class NormGradients
{
    /// <summary>dx += rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gamma, x̂ = (x − mean)·rstd.</summary>
    public static void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps, float[]? mean = null, float[]? rstd = null)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        HostLoops.Require(gamma.Count == d && dy.Count == x.Count && dx.Count == x.Count
            && (mean is null || mean.Length == rows) && (rstd is null || rstd.Length == rows),
            $"layernorm backward: x {x.Shape}, gamma {gamma.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        HostLoops.For(rows, d, r =>
        {
            var xr = x.Span.Slice(r * d, d);
            var gr = dy.Span.Slice(r * d, d);
            var dr = dx.Span.Slice(r * d, d);
            var g = gamma.Span;
            float m, inv;
            if (mean is not null && rstd is not null) { m = mean[r]; inv = rstd[r]; }
            else (m, inv) = LayerNormStatistics(xr, eps);
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < d; i++)
            {
                double gi = (double)gr[i] * g[i];
                sumG += gi;
                sumGx += gi * (xr[i] - m) * inv;
            }
            double meanG = sumG / d, meanGx = sumGx / d;
            for (int i = 0; i < d; i++)
            {
                double xhat = (xr[i] - m) * inv;
                dr[i] += (float)(inv * ((double)gr[i] * g[i] - meanG - xhat * meanGx));
            }
        });
    }

    /// <summary>dx += rstd·g − x·rstd³·mean(g·x) with g = dy·gamma.</summary>
    public static void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps, float[]? rstd = null)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        HostLoops.Require(gamma.Count == d && dy.Count == x.Count && dx.Count == x.Count && (rstd is null || rstd.Length == rows),
            $"rmsnorm backward: x {x.Shape}, gamma {gamma.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        HostLoops.For(rows, d, r =>
        {
            var xr = x.Span.Slice(r * d, d);
            var gr = dy.Span.Slice(r * d, d);
            var dr = dx.Span.Slice(r * d, d);
            var g = gamma.Span;
            double inv = rstd is not null ? rstd[r] : RmsStatistic(xr, eps);
            double sumGx = 0;
            for (int i = 0; i < d; i++) sumGx += (double)gr[i] * g[i] * xr[i];
            double k = inv * inv * inv * sumGx / d;
            for (int i = 0; i < d; i++) dr[i] += (float)(inv * gr[i] * g[i] - xr[i] * k);
        });
    }

    /// <summary>The row's mean and 1/sqrt(var + eps), two-pass in double precision, rounded to f32.</summary>
    public static (float Mean, float Rstd) LayerNormStatistics(ReadOnlySpan<float> x, float eps)
    {
        int d = x.Length;
        double m = 0, v = 0;
        for (int i = 0; i < d; i++) m += x[i];
        m /= d;
        for (int i = 0; i < d; i++) { double t = x[i] - m; v += t * t; }
        return ((float)m, (float)(1.0 / Math.Sqrt(v / d + eps)));
    }

    /// <summary>1/sqrt(mean(x²) + eps) in double precision, rounded to f32.</summary>
    public static float RmsStatistic(ReadOnlySpan<float> x, float eps)
    {
        double ss = 0;
        for (int i = 0; i < x.Length; i++) ss += (double)x[i] * x[i];
        return (float)(1.0 / Math.Sqrt(ss / x.Length + eps));
    }
}
