using BenchmarkDotNet.Attributes;
using EdgePruning.Kernels;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The fused masked read (<see cref="IKernelBackend.MaskedRead"/>) against the copy + GEMM + norm composition
/// the trainer uses (<see cref="UnfusedMaskedRead"/>, the baseline), forward and backward, on the backend
/// EDGEPRUNE_BENCH_DEVICE names (<see cref="BenchBackend"/>), for every dtype it lists. Shapes:
/// <see cref="MaskedReadBenchShape"/>, chosen by EDGEPRUNE_BENCH_SHAPES or per device. Each invocation waits
/// for the device, so the time covers the work. Columns: GB/s and % of peak bandwidth
/// (<see cref="BandwidthColumn"/>).
/// </summary>
[Config(typeof(MaskedReadConfig))]
[MemoryDiagnoser]
public class MaskedReadBenchmarks
{
    private IKernelBackend _backend = null!;
    private MaskedReadShape _s;
    private MaskedReadNorm _norm = null!;
    private Tensor _z = null!, _stack = null!, _corrupted = null!, _y = null!, _rstd = null!;
    private Tensor? _mean, _dy, _dz, _dStack, _dCorrupted;
    private UnfusedMaskedRead _unfused = null!;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    [ParamsAllValues]
    public MaskedReadDirection Direction { get; set; }

    [ParamsSource(nameof(DTypes))]
    public DType DType { get; set; }

    public static IEnumerable<string> Shapes() =>
        Environment.GetEnvironmentVariable("EDGEPRUNE_BENCH_SHAPES") is { Length: > 0 } names
            ? names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : MaskedReadBenchShape.DefaultNames(BenchBackend.Device);

    public static IEnumerable<DType> DTypes() => BenchBackend.Instance.DTypes;

    [GlobalSetup(Target = nameof(Fused))]
    public void SetupFused()
    {
        Inputs();
        _y = _backend.Empty(DType, _s.Readers, _s.Tokens, _s.Dim);
        _mean = _norm.Kind == MaskedReadNormKind.LayerNorm ? _backend.Empty(DType.F32, _s.Rows) : null;
        _rstd = _backend.Empty(DType.F32, _s.Rows);
        if (Direction == MaskedReadDirection.Backward)
        {
            _backend.MaskedRead.Forward(_z, _stack, _corrupted, _norm, _y, _mean, _rstd);
            _dy = Random(DType, 0.1f, 7, _s.Readers, _s.Tokens, _s.Dim);
            _dz = Zeros(_s.Readers, _s.Writers);
            _dStack = Zeros(_s.Writers, _s.Tokens, _s.Dim);
            _dCorrupted = Zeros(_s.Tokens, _s.Dim);
        }
        _backend.Synchronize();
    }

    [GlobalSetup(Target = nameof(Unfused))]
    public void SetupUnfused()
    {
        Inputs();
        _unfused = new UnfusedMaskedRead(_backend, _s, _z, _stack, _corrupted, _norm);
        if (Direction == MaskedReadDirection.Backward) _unfused.PrepareBackward(Random(DType, 0.1f, 7, _s.Readers, _s.Tokens, _s.Dim));
        _backend.Synchronize();
    }

    [Benchmark]
    public void Fused()
    {
        if (Direction == MaskedReadDirection.Forward) _backend.MaskedRead.Forward(_z, _stack, _corrupted, _norm, _y, _mean, _rstd);
        else _backend.MaskedRead.Backward(_z, _stack, _corrupted, _norm, _mean, _rstd, _dy!, _dz, _dStack, _dCorrupted);
        _backend.Synchronize();
    }

    [Benchmark(Baseline = true)]
    public void Unfused()
    {
        if (Direction == MaskedReadDirection.Forward) _unfused.Forward();
        else _unfused.Backward();
        _backend.Synchronize();
    }

    /// <summary>Gives the case's tensors back (device memory is reused by the next case).</summary>
    [GlobalCleanup]
    public void Cleanup() => _backend.Reset();

    /// <summary>z, D, C, γ (and β) of the shape, random normal, made where the kernels run.</summary>
    private void Inputs()
    {
        _backend = BenchBackend.Instance;
        _ = PeakBandwidth.ForBenchBackend; // measured (on the host) before the first timed call, not during one
        var shape = MaskedReadBenchShape.ForName(Shape);
        _s = shape.Shape;
        _z = Random(DType.F32, 0.5f, 1, _s.Readers, _s.Writers);
        _stack = Random(DType, 1f, 2, _s.Writers, _s.Tokens, _s.Dim);
        _corrupted = Random(DType.F32, 1f, 3, _s.Tokens, _s.Dim);
        var gamma = Random(DType.F32, 0.2f, 4, _s.Dim);
        _norm = shape.Norm == MaskedReadNormKind.LayerNorm
            ? MaskedReadNorm.LayerNorm(gamma, Random(DType.F32, 0.2f, 5, _s.Dim), 1e-5f)
            : MaskedReadNorm.RmsNorm(gamma, 1e-5f);
    }

    private Tensor Random(DType dtype, float std, ulong seed, params int[] dims)
    {
        var t = _backend.Empty(dtype, dims);
        _backend.Gradients.FillNormal(t, std, seed);
        return t;
    }

    private Tensor Zeros(params int[] dims)
    {
        var t = _backend.Empty(DType.F32, dims);
        _backend.Gradients.Fill(t, 0f);
        return t;
    }
}
