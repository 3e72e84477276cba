using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// What one check works with: the candidate backend, the oracles, the dtype the candidate stores tensors in
/// and a seeded random source. Inputs are made once on the host, rounded to <see cref="DType"/> (or to the
/// dtype a case names), and then given to both sides, so the oracle computes on exactly the values the
/// candidate saw.
/// </summary>
public sealed class ParityContext(IKernelBackend backend, ParityOracle oracle, DType dtype, Random random)
{
    public IKernelBackend Backend => backend;
    public IKernels Candidate => backend.Kernels;
    public IKernels Oracle => oracle.Kernels;
    public ParityOracle Oracles => oracle;
    public DType DType => dtype;
    public Random Random => random;

    /// <summary>Uniform values in [offset − scale, offset + scale), as both sides see them.</summary>
    public ParityInput Input(float scale, float offset, params int[] dims) => Input(HostRandom(scale, offset, dims));

    /// <summary>Uniform host f32 values in [offset − scale, offset + scale), not yet rounded or uploaded.</summary>
    public Tensor HostRandom(float scale, float offset, params int[] dims)
    {
        var host = Tensor.Empty(DType.F32, dims);
        var s = host.Span;
        for (int i = 0; i < s.Length; i++) s[i] = offset + scale * (float)(random.NextDouble() * 2 - 1);
        return host;
    }

    /// <summary>The given host f32 values, as both sides see them after rounding to <see cref="DType"/>.</summary>
    public ParityInput Input(Tensor host) => Input(host, dtype);

    /// <summary>The given host f32 values, as both sides see them after rounding to <paramref name="storage"/>.</summary>
    public ParityInput Input(Tensor host, DType storage) =>
        new(backend.Upload(host, storage), Rounded(host, storage));

    /// <summary>An output for the candidate, filled with NaN so that an element it fails to write shows up.</summary>
    public Tensor Output(params int[] dims) => OutputIn(dtype, dims);

    /// <summary>An output for the candidate in <paramref name="storage"/>, filled with NaN.</summary>
    public Tensor OutputIn(DType storage, params int[] dims) => backend.Upload(Poisoned(dims), storage);

    /// <summary>An output for the oracle, filled with NaN.</summary>
    public Tensor OracleOutput(params int[] dims) => Poisoned(dims);

    /// <summary>The candidate tensor as host f32.</summary>
    public Tensor Read(Tensor candidate) => backend.Download(candidate);

    /// <summary>Host f32 values as they read after a round trip through <paramref name="dtype"/>.</summary>
    public static Tensor Rounded(Tensor host, DType dtype) => dtype == DType.F32 ? host.Clone() : host.To(dtype).ToF32();

    private static Tensor Poisoned(int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        t.Fill(float.NaN);
        return t;
    }
}
