using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// Every primitive of a candidate backend against an oracle on the host (<see cref="ParityOracle"/>): the
/// forward kernels, the backward kernels, the training kernels and the fused masked read, on random inputs
/// over odd and model-sized shapes, in every dtype the backend stores (the training kernels in f32 only).
/// Inputs are made on the host and rounded to the dtype before either side sees them. A check that throws
/// fails with the exception's message; the others keep running. A kernel set the backend does not offer
/// yet (its property throws <see cref="NotSupportedException"/>) is one check that did not run.
/// Tolerances: <see cref="ParityTolerances"/>. The same suite runs in the tests (CPU), in
/// <c>edgeprune selftest</c> and on a GPU machine.
/// </summary>
public static class KernelParitySuite
{
    /// <summary>Every case; <see cref="ParityCase.Quick"/> marks the subset run with <c>quick</c>.</summary>
    public static IReadOnlyList<ParityCase> Cases { get; } =
    [
        .. GemmParityCases.All(),
        .. NormParityCases.All(),
        .. SoftmaxParityCases.All(),
        .. ElementwiseParityCases.All(),
        .. EmbeddingParityCases.All(),
        .. RopeParityCases.All(),
        .. AttentionParityCases.All(),
        .. CopyParityCases.All(),
        .. GradientParityCases.All(),
        .. TrainingParityCases.All(),
        .. MaskedReadParityCases.All(),
    ];

    /// <summary>
    /// Runs the suite (or its quick subset; only the cases of <paramref name="families"/> when given) and returns
    /// one check per case and dtype, in order.
    /// </summary>
    public static IReadOnlyList<ParityCheck> Run(IKernelBackend candidate, ParityOracle oracle, int seed, bool quick = false,
        Action<ParityCheck>? progress = null, IReadOnlyCollection<ParityFamily>? families = null)
    {
        bool onDevice = OnDevice(candidate);
        var checks = new List<ParityCheck>();
        void Add(ParityCheck check)
        {
            checks.Add(check);
            progress?.Invoke(check);
        }

        var missing = (families ?? Enum.GetValues<ParityFamily>()).ToDictionary(f => f, f => Missing(candidate, f));
        foreach (var (family, reason) in missing)
            if (reason is not null)
                Add(ParityCheck.NotRun(FamilyName(family), DType.F32, $"{Cases.Count(c => c.Family == family && (!quick || c.Quick))} cases",
                    $"not on this backend yet: {reason}"));
        for (int i = 0; i < Cases.Count; i++)
        {
            var c = Cases[i];
            if ((quick && !c.Quick) || !missing.TryGetValue(c.Family, out var reason) || reason is not null) continue;
            foreach (var dtype in DTypesOf(c, candidate))
                Add(RunOne(candidate, oracle, c, dtype, onDevice, new Random(CaseSeed(seed, i, dtype))));
        }
        Add(LeakCheck(candidate));
        return checks;
    }

    /// <summary>The dtypes <paramref name="c"/> runs in on <paramref name="backend"/>: one check each.</summary>
    public static IReadOnlyList<DType> DTypesOf(ParityCase c, IKernelBackend backend)
    {
        if (c.Needs is { } needed && !backend.DTypes.Contains(needed)) return [];
        return c.OnlyDType is { } only ? [only] : backend.DTypes;
    }

    /// <summary>One case in one dtype; the backend's tensors are given back afterwards.</summary>
    public static ParityCheck RunOne(IKernelBackend candidate, ParityOracle oracle, ParityCase c, DType dtype, bool onDevice, Random random)
    {
        try
        {
            var outcome = c.Run(new ParityContext(candidate, oracle, dtype, random));
            return ParityComparison.Compare(c.Name, dtype, c.Shape, outcome.Outputs.Select(o => (o.Name, o.Expected, o.Actual,
                ParityTolerances.For(o.DType ?? dtype, onDevice, c.Arithmetic, o.Reduction ?? c.Reduction, o.Scale ?? ParityTolerances.RootMeanSquare(o.Expected.Span))))
                .ToList());
        }
        catch (Exception e)
        {
            return ParityCheck.Crashed(c.Name, dtype, c.Shape, e);
        }
        finally
        {
            candidate.Reset();
        }
    }

    /// <summary>Whether the backend's tensors live in device memory (a GPU), probed with a one-element tensor.</summary>
    /// <summary>Whether the backend's f32 matrix products may round their inputs to TF32 (cuBLAS with TF32 allowed).</summary>
    public static bool Tf32Products(IKernelBackend backend) => backend is Cuda.CudaKernelBackend { Context.Cublas.AllowTf32: true };

    public static bool OnDevice(IKernelBackend backend)
    {
        try
        {
            return backend.Empty(DType.F32, 1).IsOnDevice;
        }
        finally
        {
            backend.Reset();
        }
    }

    /// <summary>Why the backend does not offer <paramref name="family"/> (its property throws), or null when it does.</summary>
    private static string? Missing(IKernelBackend backend, ParityFamily family)
    {
        Func<object> kernels = family switch
        {
            ParityFamily.Kernels => () => backend.Kernels,
            ParityFamily.Gradients => () => backend.Gradients,
            ParityFamily.Training => () => backend.Training,
            ParityFamily.MaskedRead => () => backend.MaskedRead,
            _ => throw new ArgumentOutOfRangeException(nameof(family)),
        };
        try
        {
            kernels();
            return null;
        }
        catch (NotSupportedException e)
        {
            return e.Message;
        }
    }

    private static string FamilyName(ParityFamily family) => family switch
    {
        ParityFamily.Kernels => "kernels",
        ParityFamily.Gradients => "gradient kernels",
        ParityFamily.Training => "training kernels",
        _ => "masked read",
    };

    /// <summary>After the last reset the backend holds no tensors.</summary>
    private static ParityCheck LeakCheck(IKernelBackend candidate)
    {
        int live = candidate.LiveAllocations;
        return new ParityCheck("reset frees every tensor", DType.F32, "after the suite", live == 0 ? ParityStatus.Passed : ParityStatus.Failed,
            live, live == 0 ? 0 : double.PositiveInfinity, ParityTolerance.Exact, live == 0 ? null : $"{live} tensors still live after Reset");
    }

    private static int CaseSeed(int seed, int index, DType dtype) => unchecked(seed * 1_000_003 + index * 131 + (int)dtype);
}
