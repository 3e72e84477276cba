using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// A backend whose four kernel sets record into one <see cref="LaunchRecorder"/>, so that one graph holds a
/// whole step's launches of every family in issue order; tensors, copies, scopes and everything else are the
/// inner backend's. A kernel set is wrapped when first asked for, so a set the inner backend does not offer
/// fails where it is used, as it would there.
/// </summary>
public sealed class RecordingBackend(IKernelBackend inner) : IKernelBackend
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

    public string Name => Inner.Name;
    public string Description => Inner.Description;
    public IReadOnlyList<DType> DTypes => Inner.DTypes;
    public Tensor Empty(DType dtype, params int[] dims) => Inner.Empty(dtype, dims);
    public ITensorScope OpenScope() => Inner.OpenScope();
    public Tensor Upload(Tensor host, DType dtype) => Inner.Upload(host, dtype);
    public void CopyFromHost(Tensor host, Tensor destination) => Inner.CopyFromHost(host, destination);
    public Tensor Download(Tensor tensor) => Inner.Download(tensor);
    public void Synchronize() => Inner.Synchronize();
    public void Reset() => Inner.Reset();
    public int LiveAllocations => Inner.LiveAllocations;
    public void Dispose() => Inner.Dispose();
}
