using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// An <see cref="ITrainingKernels"/> that forwards every call to an inner implementation and records it
/// (<see cref="RecordingKernelSet{TKernels}"/>). The masked edge sum and its backward carry the work of
/// their products over the visible entries: 2·N per visible (reader, writer) pair and product.
/// </summary>
public sealed class RecordingTrainingKernels(ITrainingKernels inner, LaunchRecorder? recorder = null)
    : RecordingKernelSet<ITrainingKernels>(inner, recorder), ITrainingKernels
{
    private protected override KernelFamily Family => KernelFamily.Training;
    private protected override ITrainingKernels Of(IKernelBackend backend) => backend.Training;

    public void HardConcrete(Tensor logAlpha, Tensor uniform, Tensor z)
    {
        if (Executes) Inner.HardConcrete(logAlpha, uniform, z);
        if (!IsRecording) return;
        Record(nameof(HardConcrete), [T("logAlpha", logAlpha), T("uniform", uniform), T("z", z)], [], 0, t => t.HardConcrete(logAlpha, uniform, z));
    }

    public void HardConcreteBackward(Tensor logAlpha, Tensor uniform, Tensor dz, Tensor dLogAlpha, float dzShift = 0)
    {
        if (Executes) Inner.HardConcreteBackward(logAlpha, uniform, dz, dLogAlpha, dzShift);
        if (!IsRecording) return;
        Record(nameof(HardConcreteBackward), [T("logAlpha", logAlpha), T("uniform", uniform), T("dz", dz), T("dLogAlpha", dLogAlpha)],
            [new("dzShift", dzShift)], 0, t => t.HardConcreteBackward(logAlpha, uniform, dz, dLogAlpha, dzShift));
    }

    public void MaskNoise(Tensor u, ulong seed)
    {
        if (Executes) Inner.MaskNoise(u, seed);
        if (!IsRecording) return;
        Record(nameof(MaskNoise), [T("u", u)], [new("seed", seed)], 0, t => t.MaskNoise(u, seed));
    }

    public void Sum(Tensor x, bool squares, Tensor total)
    {
        if (Executes) Inner.Sum(x, squares, total);
        if (!IsRecording) return;
        Record(nameof(Sum), [T("x", x), T("total", total)], [new("squares", squares)], x.Count, t => t.Sum(x, squares, total));
    }

    public void MaskedEdgeSum(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor c, Tensor x)
    {
        if (Executes) Inner.MaskedEdgeSum(z, visible, d, c, x);
        if (!IsRecording) return;
        var captured = visible.ToArray();
        Record(nameof(MaskedEdgeSum), [T("z", z), T("d", d), T("c", c), T("x", x)], [new("visible", captured.Length)],
            ProductFlops(z, captured, d, x, c),
            t => t.MaskedEdgeSum(z, captured, d, c, x), new LaunchHostArray("visible", captured));
    }

    public void MaskedEdgeSumBackward(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor dx, Tensor? dz, Tensor? dd)
    {
        if (Executes) Inner.MaskedEdgeSumBackward(z, visible, d, dx, dz, dd);
        if (!IsRecording) return;
        var captured = visible.ToArray();
        int products = (dz is null ? 0 : 1) + (dd is null ? 0 : 1);
        Record(nameof(MaskedEdgeSumBackward), Given(("z", z), ("d", d), ("dx", dx), ("dz", dz), ("dd", dd)), [new("visible", captured.Length)],
            products * ProductFlops(z, captured, d, dx, null),
            t => t.MaskedEdgeSumBackward(z, captured, d, dx, dz, dd), new LaunchHostArray("visible", captured));
    }

    public void KlDivergence(Tensor full, Tensor circuit, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Tensor rowKl, Tensor dCircuit,
        float gradScale)
    {
        if (Executes) Inner.KlDivergence(full, circuit, rows, columns, rowKl, dCircuit, gradScale);
        if (!IsRecording) return;
        int[] r = rows.ToArray(), c = columns.ToArray();
        Record(nameof(KlDivergence), [T("full", full), T("circuit", circuit), T("rowKl", rowKl), T("dCircuit", dCircuit)],
            [new("rows", r.Length), new("columns", c.Length), new("gradScale", gradScale)], 0,
            t => t.KlDivergence(full, circuit, r, c, rowKl, dCircuit, gradScale), new LaunchHostArray("rows", r), new LaunchHostArray("columns", c));
    }

    public void SequenceKl(Tensor full, Tensor circuit, ReadOnlySpan<int> offsets, ReadOnlySpan<int> rows, Tensor seqKl, Tensor dCircuit, float gradScale)
    {
        if (Executes) Inner.SequenceKl(full, circuit, offsets, rows, seqKl, dCircuit, gradScale);
        if (!IsRecording) return;
        int[] o = offsets.ToArray(), r = rows.ToArray();
        Record(nameof(SequenceKl), [T("full", full), T("circuit", circuit), T("seqKl", seqKl), T("dCircuit", dCircuit)],
            [new("sequences", o.Length - 1), new("rows", r.Length), new("gradScale", gradScale)], 0,
            t => t.SequenceKl(full, circuit, o, r, seqKl, dCircuit, gradScale), new LaunchHostArray("offsets", o), new LaunchHostArray("rows", r));
    }

    public void AdamW(Tensor parameters, Tensor gradients, Tensor first, Tensor second, AdamWStep step)
    {
        if (Executes) Inner.AdamW(parameters, gradients, first, second, step);
        if (!IsRecording) return;
        Record(nameof(AdamW), [T("parameters", parameters), T("gradients", gradients), T("first", first), T("second", second)],
            [new("learningRate", step.LearningRate), new("weightDecay", step.WeightDecay), new("stepCount", step.StepCount), new("maximize", step.Maximize)], 0,
            t => t.AdamW(parameters, gradients, first, second, step));
    }

    /// <summary>2·N·Σ_r seen(r): one product Zᵛ·D (or its transpose) over the visible entries.</summary>
    private static double ProductFlops(Tensor z, int[] visible, Tensor d, Tensor x, Tensor? c)
    {
        var (R, W, N) = MaskedEdgeSumShape.Of(z, visible, d, x, c);
        long seen = visible.Length == 0 ? (long)R * W : visible.Sum(v => (long)v);
        return 2.0 * N * seen;
    }
}
