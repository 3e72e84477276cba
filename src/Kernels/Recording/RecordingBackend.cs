using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// A backend whose four kernel sets record into one <see cref="LaunchRecorder"/>, so that one graph holds a
/// whole step's launches of every family in issue order; tensors, copies, scopes and everything else are the
/// inner backend's. A kernel set is wrapped when first asked for, so a set the inner backend does not offer
/// fails where it is used, as it would there. Copies from the host are recorded too (as launches of
/// <see cref="KernelFamily.Backend"/>), since a replay must repeat them.
/// <para>
/// Work captured here (<see cref="IWorkCapture"/>) becomes a CUDA graph when the inner backend captures
/// (a GPU), and otherwise a <see cref="RecordedWork"/> that replays the recorded launches on the inner backend.
/// </para>
/// </summary>
public sealed class RecordingBackend(IKernelBackend inner) : IKernelBackend, IWorkCapture
{
    private RecordingKernels? _kernels;
    private RecordingGradientKernels? _gradients;
    private RecordingTrainingKernels? _training;
    private RecordingMaskedRead? _maskedRead;

    public IKernelBackend Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public LaunchRecorder Recorder { get; } = new();

    /// <summary>Whether calls are recorded; when false they are only forwarded.</summary>
    public bool IsRecording
    {
        get => Recorder.IsRecording;
        set => Recorder.IsRecording = value;
    }

    /// <summary>The launches recorded since construction or the last <see cref="Restart"/>.</summary>
    public LaunchGraph Graph => Recorder.Graph;

    /// <summary>Hands back the graph recorded so far and starts an empty one.</summary>
    public LaunchGraph Restart() => Recorder.Restart();

    public RecordingKernels Kernels => _kernels ??= new RecordingKernels(Inner.Kernels, Recorder);
    public RecordingGradientKernels Gradients => _gradients ??= new RecordingGradientKernels(Inner.Gradients, Recorder);
    public RecordingTrainingKernels Training => _training ??= new RecordingTrainingKernels(Inner.Training, Recorder);
    public RecordingMaskedRead MaskedRead => _maskedRead ??= new RecordingMaskedRead(Inner.MaskedRead, Recorder);

    IKernels IKernelBackend.Kernels => Kernels;
    IGradientKernels IKernelBackend.Gradients => Gradients;
    ITrainingKernels IKernelBackend.Training => Training;
    IMaskedReadKernels IKernelBackend.MaskedRead => MaskedRead;

    /// <summary>Where tensors come from while work is captured or fed here (null otherwise).</summary>
    internal CaptureAllocations? Allocations { get; set; }

    public ICapturedWork Capture(Action work) =>
        Inner is IWorkCapture native ? native.Capture(work) : RecordedWork.Capture(this, work);

    public string Name => Inner.Name;
    public string Description => Inner.Description;
    public IReadOnlyList<DType> DTypes => Inner.DTypes;
    public Tensor Empty(DType dtype, params int[] dims) => Allocations?.Empty(dtype, dims) ?? Inner.Empty(dtype, dims);
    public ITensorScope OpenScope() => Allocations?.Scope() ?? Inner.OpenScope();

    public Tensor Upload(Tensor host, DType dtype)
    {
        if (Allocations is null) return Inner.Upload(host, dtype);
        var t = Empty(dtype, host.Shape.Dims.ToArray());
        CopyFromHost(host, t);
        return t;
    }

    public void CopyFromHost(Tensor host, Tensor destination)
    {
        if (Recorder.Executes) Inner.CopyFromHost(host, destination);
        if (!IsRecording) return;
        var values = host.ToF32().Span.ToArray();
        int[] dims = host.Shape.Dims.ToArray();
        Recorder.Add(new KernelLaunch(KernelFamily.Backend, nameof(CopyFromHost), [LaunchTensor.Of("destination", destination)],
            [new("count", values.Length)], 0, [new LaunchHostArray("values", values)],
            backend => backend.CopyFromHost(Tensor.FromData(values, dims), destination), null));
    }

    public Tensor Download(Tensor tensor)
    {
        if (Allocations is not null) throw new CaptureUnsupportedException($"captured work reads a tensor {tensor.Shape} back to the host");
        return Inner.Download(tensor);
    }

    public void Synchronize()
    {
        if (Allocations is not null) throw new CaptureUnsupportedException("captured work waits for the backend");
        Inner.Synchronize();
    }
    public void Reset() => Inner.Reset();
    public int LiveAllocations => Inner.LiveAllocations;
    public void Dispose() => Inner.Dispose();
}
