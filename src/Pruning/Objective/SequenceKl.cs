using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Objective;

/// <summary>
/// The loss of a numerical output (Tracr xproportion): per sequence, the scalar output at the selected
/// positions is softmaxed across those positions, and KL(full ‖ circuit) is summed over positions and
/// averaged over sequences. Only the circuit side gets a gradient.
/// </summary>
public static class SequenceKl
{
    /// <param name="full">[batch, T, outputs] logits of the full model (column 0 is read).</param>
    /// <param name="circuit">[batch, T, outputs] logits of the circuit.</param>
    /// <param name="dCircuit">gradient accumulated into (same shape), or null.</param>
    public static double Compute(Tensor full, Tensor circuit, IReadOnlyList<int[]> positions, Tensor? dCircuit)
    {
        int batch = full.Shape[0], T = full.Shape[1], outputs = full.Shape[2];
        var f = full.Span; var c = circuit.Span;
        var dc = dCircuit is null ? default : dCircuit.Span;
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            var pos = positions[b];
            var vf = new double[pos.Length];
            var vc = new double[pos.Length];
            for (int i = 0; i < pos.Length; i++)
            {
                vf[i] = f[(b * T + pos[i]) * outputs];
                vc[i] = c[(b * T + pos[i]) * outputs];
            }
            var pf = Softmax(vf);
            var pc = Softmax(vc);
            for (int i = 0; i < pos.Length; i++)
            {
                if (pf[i] != 0) total += pf[i] * (Math.Log(pf[i]) - Math.Log(Math.Max(pc[i], 1e-300)));
                if (dCircuit is not null) dc[(b * T + pos[i]) * outputs] += (float)((pc[i] - pf[i]) / batch);
            }
        }
        return total / batch;
    }

    private static double[] Softmax(double[] v)
    {
        double max = v.Max(), sum = 0;
        var e = new double[v.Length];
        for (int i = 0; i < v.Length; i++) { e[i] = Math.Exp(v[i] - max); sum += e[i]; }
        for (int i = 0; i < v.Length; i++) e[i] /= sum;
        return e;
    }
}
