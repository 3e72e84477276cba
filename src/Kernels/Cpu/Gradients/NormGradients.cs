using System.Runtime.Intrinsics;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host backward of LayerNorm and RMSNorm per row, with frozen gamma. A caller that kept the forward's
/// statistics passes them; otherwise they are recomputed from x in double precision, as the forward does.
/// Rows run eight elements at a time in double lanes: every element's terms are rounded as one at a time
/// would round them, only the order in which the row's double sums add up differs.
/// </summary>
public static class NormGradients
{
    /// <summary>dx += rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·gamma, x̂ = (x − mean)·rstd.</summary>
    public static void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps, float[]? mean = null, float[]? rstd = null)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        GradientChecks.Require(gamma.Count == d && dy.Count == x.Count && dx.Count == x.Count
            && (mean is null || mean.Length == rows) && (rstd is null || rstd.Length == rows),
            $"layernorm backward: x {x.Shape}, gamma {gamma.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        CpuParallelFor.For(rows, d, r =>
        {
            var xr = x.Span.Slice(r * d, d);
            var gr = dy.Span.Slice(r * d, d);
            var dr = dx.Span.Slice(r * d, d);
            var g = gamma.Span;
            float m, inv;
            if (mean is not null && rstd is not null) { m = mean[r]; inv = rstd[r]; }
            else (m, inv) = LayerNormStatistics(xr, eps);
            // Eight elements at a time in double lanes, each element's terms rounded as in the scalar tail.
            var vm = Vector256.Create(m);
            var vinv = Vector256.Create((double)inv);
            Vector256<double> g0 = default, g1 = default, gx0 = default, gx1 = default;
            int i = 0;
            for (; i + Lanes <= d; i += Lanes)
            {
                var (a0, a1) = Products(gr, g, i);
                var (c0, c1) = Wide(Vector256.Create(xr.Slice(i, Lanes)) - vm);
                g0 += a0;
                g1 += a1;
                gx0 += a0 * c0 * vinv;
                gx1 += a1 * c1 * vinv;
            }
            double sumG = Vector256.Sum(g0 + g1), sumGx = Vector256.Sum(gx0 + gx1);
            for (; i < d; i++)
            {
                double gi = (double)gr[i] * g[i];
                sumG += gi;
                sumGx += gi * (xr[i] - m) * inv;
            }
            double meanG = sumG / d, meanGx = sumGx / d;
            var vMeanG = Vector256.Create(meanG);
            var vMeanGx = Vector256.Create(meanGx);
            var vinvF = Vector256.Create(inv);
            i = 0;
            for (; i + Lanes <= d; i += Lanes)
            {
                var (a0, a1) = Products(gr, g, i);
                var (h0, h1) = Wide((Vector256.Create(xr.Slice(i, Lanes)) - vm) * vinvF);
                var step = Vector256.Narrow(vinv * (a0 - vMeanG - h0 * vMeanGx), vinv * (a1 - vMeanG - h1 * vMeanGx));
                (Vector256.Create(dr.Slice(i, Lanes)) + step).CopyTo(dr.Slice(i, Lanes));
            }
            for (; i < d; i++)
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
        GradientChecks.Require(gamma.Count == d && dy.Count == x.Count && dx.Count == x.Count && (rstd is null || rstd.Length == rows),
            $"rmsnorm backward: x {x.Shape}, gamma {gamma.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        CpuParallelFor.For(rows, d, r =>
        {
            var xr = x.Span.Slice(r * d, d);
            var gr = dy.Span.Slice(r * d, d);
            var dr = dx.Span.Slice(r * d, d);
            var g = gamma.Span;
            double inv = rstd is not null ? rstd[r] : RmsStatistic(xr, eps);
            // Eight elements at a time in double lanes, each element's terms rounded as in the scalar tail.
            Vector256<double> s0 = default, s1 = default;
            int i = 0;
            for (; i + Lanes <= d; i += Lanes)
            {
                var (a0, a1) = Products(gr, g, i);
                var (x0, x1) = Wide(Vector256.Create(xr.Slice(i, Lanes)));
                s0 += a0 * x0;
                s1 += a1 * x1;
            }
            double sumGx = Vector256.Sum(s0 + s1);
            for (; i < d; i++) sumGx += (double)gr[i] * g[i] * xr[i];
            double k = inv * inv * inv * sumGx / d;
            var vinv = Vector256.Create(inv);
            var vk = Vector256.Create(k);
            i = 0;
            for (; i + Lanes <= d; i += Lanes)
            {
                var (g0, g1) = Wide(Vector256.Create(gr.Slice(i, Lanes)));
                var (w0, w1) = Wide(Vector256.Create(g.Slice(i, Lanes)));
                var (x0, x1) = Wide(Vector256.Create(xr.Slice(i, Lanes)));
                var step = Vector256.Narrow(vinv * g0 * w0 - x0 * vk, vinv * g1 * w1 - x1 * vk);
                (Vector256.Create(dr.Slice(i, Lanes)) + step).CopyTo(dr.Slice(i, Lanes));
            }
            for (; i < d; i++) dr[i] += (float)(inv * gr[i] * g[i] - xr[i] * k);
        });
    }

    /// <summary>The row's mean and 1/sqrt(var + eps), two-pass in double precision, rounded to f32.</summary>
    public static (float Mean, float Rstd) LayerNormStatistics(ReadOnlySpan<float> x, float eps)
    {
        int d = x.Length;
        Vector256<double> s0 = default, s1 = default;
        int i = 0;
        for (; i + Lanes <= d; i += Lanes)
        {
            var (x0, x1) = Wide(Vector256.Create(x.Slice(i, Lanes)));
            s0 += x0;
            s1 += x1;
        }
        double m = Vector256.Sum(s0 + s1);
        for (; i < d; i++) m += x[i];
        m /= d;
        var vm = Vector256.Create(m);
        s0 = s1 = default;
        for (i = 0; i + Lanes <= d; i += Lanes)
        {
            var (x0, x1) = Wide(Vector256.Create(x.Slice(i, Lanes)));
            s0 += (x0 - vm) * (x0 - vm);
            s1 += (x1 - vm) * (x1 - vm);
        }
        double v = Vector256.Sum(s0 + s1);
        for (; i < d; i++) { double t = x[i] - m; v += t * t; }
        return ((float)m, (float)(1.0 / Math.Sqrt(v / d + eps)));
    }

    /// <summary>1/sqrt(mean(x²) + eps) in double precision, rounded to f32.</summary>
    public static float RmsStatistic(ReadOnlySpan<float> x, float eps)
    {
        Vector256<double> s0 = default, s1 = default;
        int i = 0;
        for (; i + Lanes <= x.Length; i += Lanes)
        {
            var (x0, x1) = Wide(Vector256.Create(x.Slice(i, Lanes)));
            s0 += x0 * x0;
            s1 += x1 * x1;
        }
        double ss = Vector256.Sum(s0 + s1);
        for (; i < x.Length; i++) ss += (double)x[i] * x[i];
        return (float)(1.0 / Math.Sqrt(ss / x.Length + eps));
    }

    /// <summary>Floats a row's vector loop takes at a time (two vectors of doubles).</summary>
    private const int Lanes = 8;

    /// <summary>Eight floats as two vectors of doubles.</summary>
    private static (Vector256<double> Lo, Vector256<double> Hi) Wide(Vector256<float> v) => (Vector256.WidenLower(v), Vector256.WidenUpper(v));

    /// <summary>(double)a[i]·b[i] for the eight elements from <paramref name="i"/>, as two vectors of doubles.</summary>
    private static (Vector256<double> Lo, Vector256<double> Hi) Products(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int i)
    {
        var (a0, a1) = Wide(Vector256.Create(a.Slice(i, Lanes)));
        var (b0, b1) = Wide(Vector256.Create(b.Slice(i, Lanes)));
        return (a0 * b0, a1 * b1);
    }
}
