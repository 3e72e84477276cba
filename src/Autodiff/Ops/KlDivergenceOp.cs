using EdgePruning.Kernels.Cpu;
using System.Runtime.Intrinsics;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// KL(p_full ‖ p_circuit) with log-softmax on both sides, summed over the vocabulary and averaged over
/// the selected rows ("batchmean"). Logits are [rows, V] (any tensor read as a matrix). With a column
/// list, both distributions are re-softmaxed over those columns only (Greater-Than's 100 year tokens).
/// The full logits are constants: only the circuit logits get a gradient,
/// ∂L/∂logit_c = (softmax(logit_c) − p_full)/count. An op used again keeps its gradient buffer.
/// </summary>
public sealed class KlDivergenceOp
{
    private int[] _rows = [];
    private int[] _columns = [];
    private int _vocab;
    private float[] _diff = [];

    /// <returns>The mean KL over the selected rows.</returns>
    public double Forward(Tensor fullLogits, Tensor circuitLogits, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns = default)
    {
        int V = circuitLogits.Shape.Cols, total = circuitLogits.Shape.Rows;
        OpChecks.Require(fullLogits.Shape.Cols == V && fullLogits.Shape.Rows == total && rows.Length > 0,
            $"kl: full {fullLogits.Shape}, circuit {circuitLogits.Shape}, {rows.Length} rows");
        foreach (int r in rows) if ((uint)r >= (uint)total) throw new ShapeException($"kl: row {r} is outside {total} rows");
        foreach (int c in columns) if ((uint)c >= (uint)V) throw new ShapeException($"kl: column {c} is outside {V} columns");
        _rows = rows.ToArray();
        _columns = columns.ToArray();
        _vocab = V;
        int width = columns.IsEmpty ? V : columns.Length;
        // Kept from call to call when the op is reused: at a 50,257-wide vocabulary it is megabytes per batch.
        if (_diff.Length < rows.Length * width) _diff = GC.AllocateUninitializedArray<float>(rows.Length * width);
        var kl = new double[rows.Length];
        var rowsArr = _rows; var cols = _columns; var diff = _diff;
        CpuParallelFor.For(rowsArr.Length, width * 4L, i =>
        {
            ReadOnlySpan<float> f = fullLogits.Span.Slice(rowsArr[i] * V, V), c = circuitLogits.Span.Slice(rowsArr[i] * V, V);
            if (cols.Length > 0)
            {
                f = Gather(f, cols);
                c = Gather(c, cols);
            }
            kl[i] = Row(f, c, diff.AsSpan(i * width, width));
        });
        double total2 = 0;
        foreach (var v in kl) total2 += v;
        return total2 / rows.Length;
    }

    /// <summary>dCircuitLogits += dLoss·(p_circuit − p_full)/count on the selected rows (and columns).</summary>
    public void Backward(double dLoss, Tensor dCircuitLogits)
    {
        if (_rows.Length == 0) throw new InvalidOperationException("kl backward before forward");
        OpChecks.Require(dCircuitLogits.Shape.Cols == _vocab, $"kl backward: gradient {dCircuitLogits.Shape}, vocabulary {_vocab}");
        var G = dCircuitLogits.Span;
        int width = _columns.Length == 0 ? _vocab : _columns.Length;
        float scale = (float)(dLoss / _rows.Length);
        for (int i = 0; i < _rows.Length; i++)
        {
            var g = G.Slice(_rows[i] * _vocab, _vocab);
            var d = _diff.AsSpan(i * width, width);
            if (_columns.Length == 0)
                for (int j = 0; j < width; j++) g[j] += scale * d[j];
            else
                for (int j = 0; j < width; j++) g[_columns[j]] += scale * d[j];
        }
    }

    private static float[] Gather(ReadOnlySpan<float> row, int[] columns)
    {
        var r = new float[columns.Length];
        for (int j = 0; j < columns.Length; j++) r[j] = row[columns[j]];
        return r;
    }

    /// <summary>
    /// Σ p_f·(log p_f − log p_c) of one row, writing p_c − p_f into <paramref name="d"/>; in double, 8 lanes at a time
    /// (a 50,257-wide row is four exponentials per entry).
    /// </summary>
    private static double Row(ReadOnlySpan<float> f, ReadOnlySpan<float> c, Span<float> d)
    {
        double lzf = LogSumExp(f), lzc = LogSumExp(c);
        var zf = Vector512.Create(lzf);
        var zc = Vector512.Create(lzc);
        var sums = Vector512<double>.Zero;
        int j = 0;
        for (; j + 16 <= f.Length; j += 16)
        {
            var vf = Vector512.Create(f.Slice(j, 16));
            var vc = Vector512.Create(c.Slice(j, 16));
            var (dLow, termLow) = Entries(Vector512.WidenLower(vf) - zf, Vector512.WidenLower(vc) - zc);
            var (dHigh, termHigh) = Entries(Vector512.WidenUpper(vf) - zf, Vector512.WidenUpper(vc) - zc);
            sums += termLow + termHigh;
            Vector512.Narrow(dLow, dHigh).CopyTo(d.Slice(j, 16));
        }
        double sum = Vector512.Sum(sums);
        for (; j < f.Length; j++)
        {
            double lf = f[j] - lzf, lc = c[j] - lzc, pf = Math.Exp(lf);
            if (pf != 0) sum += pf * (lf - lc);
            d[j] = (float)(Math.Exp(lc) - pf);
        }
        return sum;
    }

    /// <summary>p_c − p_f and p_f·(log p_f − log p_c), the latter 0 where p_f is (NaN must reach the sum: a diverged model has to show in the loss).</summary>
    private static (Vector512<double> D, Vector512<double> Term) Entries(Vector512<double> lf, Vector512<double> lc)
    {
        var pf = Vector512.Exp(lf);
        var term = Vector512.ConditionalSelect(Vector512.Equals(pf, Vector512<double>.Zero), Vector512<double>.Zero, pf * (lf - lc));
        return (Vector512.Exp(lc) - pf, term);
    }

    private static double LogSumExp(ReadOnlySpan<float> x)
    {
        double max = System.Numerics.Tensors.TensorPrimitives.Max(x); // NaN when a logit is
        var vmax = Vector512.Create(max);
        var sums = Vector512<double>.Zero;
        int j = 0;
        for (; j + 16 <= x.Length; j += 16)
        {
            var v = Vector512.Create(x.Slice(j, 16));
            sums += Vector512.Exp(Vector512.WidenLower(v) - vmax) + Vector512.Exp(Vector512.WidenUpper(v) - vmax);
        }
        double sum = Vector512.Sum(sums);
        for (; j < x.Length; j++) sum += Math.Exp(x[j] - max);
        return max + Math.Log(sum);
    }
}
