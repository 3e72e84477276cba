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
        OpChecks.For(rowsArr.Length, width * 4L, i =>
        {
            ReadOnlySpan<float> f = fullLogits.Span.Slice(rowsArr[i] * V, V), c = circuitLogits.Span.Slice(rowsArr[i] * V, V);
            if (cols.Length > 0)
            {
                f = Gather(f, cols);
                c = Gather(c, cols);
            }
            double lzf = LogSumExp(f), lzc = LogSumExp(c), sum = 0;
            var d = diff.AsSpan(i * width, width);
            for (int j = 0; j < width; j++)
            {
                double lf = f[j] - lzf, lc = c[j] - lzc, pf = Math.Exp(lf);
                if (pf != 0) sum += pf * (lf - lc); // NaN must reach the sum: a diverged model has to show in the loss
                d[j] = (float)(Math.Exp(lc) - pf);
            }
            kl[i] = sum;
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

    private static double LogSumExp(ReadOnlySpan<float> x)
    {
        double max = double.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
