namespace EdgePruning.Kernels.Recording;

/// <summary>
/// One call of a kernel-set method as it was issued: its family and method, its tensors (shape, dtype and
/// address), its scalars, and the host arrays it read, copied at record time. Replaying issues the same
/// call on the same tensors, so it computes on whatever those tensors hold then.
/// </summary>
public sealed class KernelLaunch
{
    private readonly Action<IKernelBackend> _issue;
    private readonly Action<IKernels>? _issueOnKernels;

    internal KernelLaunch(KernelFamily family, string kind, LaunchTensor[] tensors, LaunchScalar[] scalars, double flops,
        LaunchHostArray[] hostArrays, Action<IKernelBackend> issue, Action<IKernels>? issueOnKernels)
    {
        Family = family;
        Kind = kind;
        Tensors = tensors;
        Scalars = scalars;
        Flops = flops;
        HostArrays = hostArrays;
        _issue = issue;
        _issueOnKernels = issueOnKernels;
    }

    /// <summary>The kernel set the method belongs to.</summary>
    public KernelFamily Family { get; }

    /// <summary>The method of its kernel set: Gemm, Linear, AttentionBackward, KlDivergence, Forward, …</summary>
    public string Kind { get; }

    /// <summary>
    /// The method named with its kernel set ("Gradients.AttentionBackward", "MaskedRead.Forward"), except the
    /// model kernels' own ("Linear"): <see cref="IKernelBackend.Kernels"/> is the set every backend's work is
    /// written in, and its method names say what they do on their own.
    /// </summary>
    public string Name => Family == KernelFamily.Kernels ? Kind : $"{Family}.{Kind}";

    public IReadOnlyList<LaunchTensor> Tensors { get; }
    public IReadOnlyList<LaunchScalar> Scalars { get; }
    public IReadOnlyList<LaunchHostArray> HostArrays { get; }

    /// <summary>
    /// Multiply-add work of the matrix product the launch computes (2·m·n·k, times B when batched): Gemm, Linear,
    /// their batched forms, the masked edge sum and the masked read, forward and backward; 0 for every other kind.
    /// </summary>
    public double Flops { get; }

    /// <summary>The token ids of an Embedding launch, read again by every replay (write new ids into it to feed a new input).</summary>
    public int[]? Ids => HostArray<int>("ids");

    /// <summary>The key mask of an attention launch (null when none was given), read again by every replay.</summary>
    public bool[]? KeyMask => HostArray<bool>("keyMask");

    /// <summary>The host array of that name, or null when the launch read none.</summary>
    public T[]? HostArray<T>(string name)
    {
        foreach (var a in HostArrays)
            if (a.Name == name) return (T[])a.Values;
        return null;
    }

    /// <summary>Issues the call again on <paramref name="kernels"/>; only launches of <see cref="KernelFamily.Kernels"/> can.</summary>
    public void Replay(IKernels kernels)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        var issue = _issueOnKernels ?? throw new InvalidOperationException($"{this} is a {Family} launch: replay it on a backend");
        issue(kernels);
    }

    /// <summary>Issues the call again on the kernel set of <paramref name="backend"/> it belongs to.</summary>
    public void Replay(IKernelBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _issue(backend);
    }

    public override string ToString() =>
        $"{Name}({string.Join(", ", Tensors.Select(t => t.ToString()).Concat(Scalars.Select(s => s.ToString())))})";
}
