using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// A kernel set that forwards every call to an inner implementation and, while its recorder
/// <see cref="IsRecording"/>, appends the launch to the recorder's graph: the CPU analogue of capturing a
/// CUDA graph. A call that the inner kernels reject is not recorded. Host arrays the caller passes (token ids,
/// key masks, visible counts, KL rows) are copied, since the caller's spans do not outlive the call.
/// </summary>
/// <typeparam name="TKernels">The kernel-set interface wrapped.</typeparam>
public abstract class RecordingKernelSet<TKernels> where TKernels : class
{
    private protected RecordingKernelSet(TKernels inner, LaunchRecorder? recorder)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        Recorder = recorder ?? new LaunchRecorder();
    }

    public TKernels Inner { get; }

    /// <summary>Where the launches go; shared by the kernel sets of a <see cref="RecordingBackend"/>.</summary>
    public LaunchRecorder Recorder { get; }

    /// <summary>Whether calls are recorded (the recorder's switch); when false they are only forwarded.</summary>
    public bool IsRecording
    {
        get => Recorder.IsRecording;
        set => Recorder.IsRecording = value;
    }

    /// <summary>Whether calls run on the inner kernels (the recorder's switch); false while work is captured or fed.</summary>
    private protected bool Executes => Recorder.Executes;

    /// <summary>The launches recorded since construction or the last <see cref="Restart"/>.</summary>
    public LaunchGraph Graph => Recorder.Graph;

    /// <summary>Hands back the graph recorded so far and starts an empty one.</summary>
    public LaunchGraph Restart() => Recorder.Restart();

    private protected abstract KernelFamily Family { get; }

    /// <summary>This family's kernel set of a backend: where a replay issues the launch.</summary>
    private protected abstract TKernels Of(IKernelBackend backend);

    private protected static LaunchTensor T(string role, Tensor t) => LaunchTensor.Of(role, t);

    /// <summary>The tensors given, in order; an optional one that is null is left out.</summary>
    private protected static LaunchTensor[] Given(params (string Role, Tensor? Tensor)[] tensors) =>
        [.. tensors.Where(t => t.Tensor is not null).Select(t => LaunchTensor.Of(t.Role, t.Tensor!))];

    private protected void Record(string kind, LaunchTensor[] tensors, LaunchScalar[] scalars, double flops, Action<TKernels> issue,
        params LaunchHostArray[] hostArrays) =>
        Recorder.Add(new KernelLaunch(Family, kind, tensors, scalars, flops, hostArrays, backend => issue(Of(backend)),
            issue as Action<IKernels>));
}
