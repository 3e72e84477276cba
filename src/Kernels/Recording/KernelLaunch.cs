using System.Globalization;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>A tensor argument of a recorded launch: its role in the call, its shape and where its elements sit.</summary>
public readonly record struct LaunchTensor(string Role, Shape Shape, nint Address)
{
    public override string ToString() => $"{Role}{Shape}@0x{Address:x}";
}

/// <summary>A scalar argument of a recorded launch (flags, factors, positions, the activation).</summary>
public readonly record struct LaunchScalar(string Name, object Value)
{
    public override string ToString() => $"{Name}={Convert.ToString(Value, CultureInfo.InvariantCulture)}";
}

/// <summary>
/// One call of an <see cref="IKernels"/> method as it was issued: the method, its tensors (shape and
/// address), its scalars, and the host arrays it read (token ids, key mask), copied at record time.
/// Replaying issues the same call on the same tensors, so it computes on whatever those tensors hold then.
/// </summary>
public sealed class KernelLaunch
{
    private readonly Action<IKernels> _issue;

    internal KernelLaunch(string kind, LaunchTensor[] tensors, LaunchScalar[] scalars, double flops, Action<IKernels> issue,
        int[]? ids = null, bool[]? keyMask = null)
    {
        Kind = kind;
        Tensors = tensors;
        Scalars = scalars;
        Flops = flops;
        Ids = ids;
        KeyMask = keyMask;
        _issue = issue;
    }

    /// <summary>The <see cref="IKernels"/> method: Gemm, Linear, LayerNorm, …</summary>
    public string Kind { get; }
    public IReadOnlyList<LaunchTensor> Tensors { get; }
    public IReadOnlyList<LaunchScalar> Scalars { get; }

    /// <summary>Multiply-add work of a matrix product (2·m·n·k); 0 for every other kind.</summary>
    public double Flops { get; }

    /// <summary>
    /// The token ids of an Embedding launch, captured once and read again by every replay: write new ids
    /// into this array to feed a new input, as one writes a CUDA graph's input buffer in place.
    /// </summary>
    public int[]? Ids { get; }

    /// <summary>The key mask of an Attention launch (null when none was given), read again by every replay.</summary>
    public bool[]? KeyMask { get; }

    /// <summary>Issues the call again on <paramref name="kernels"/>.</summary>
    public void Replay(IKernels kernels) => _issue(kernels);

    public override string ToString() =>
        $"{Kind}({string.Join(", ", Tensors.Select(t => t.ToString()).Concat(Scalars.Select(s => s.ToString())))})";
}
