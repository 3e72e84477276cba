using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// Every <see cref="IKernels"/> primitive of a candidate backend against an oracle (the scalar reference on the
/// host), on random inputs over odd and model-sized shapes, in every dtype the backend stores. Inputs are made
/// on the host and rounded to the dtype before either side sees them. A check that throws fails with the
/// exception's message; the others keep running. Tolerances: <see cref="ParityTolerances"/>.
/// The same suite runs in the tests (CPU), in <c>edgeprune selftest</c> and on a GPU machine.
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
    ];

    /// <summary>Runs the suite (or its quick subset) and returns one check per case and dtype, in order.</summary>
    public static IReadOnlyList<ParityCheck> Run(IKernelBackend candidate, IKernels oracle, int seed, bool quick = false,
        Action<ParityCheck>? progress = null)
    {
        bool onDevice = OnDevice(candidate);
        var checks = new List<ParityCheck>();
        for (int i = 0; i < Cases.Count; i++)
        {
            var c = Cases[i];
            if (quick && !c.Quick) continue;
            foreach (var dtype in c.OnlyDType is { } only ? [only] : candidate.DTypes)
            {
                var check = RunOne(candidate, oracle, c, dtype, onDevice, new Random(CaseSeed(seed, i, dtype)));
                checks.Add(check);
                progress?.Invoke(check);
            }
        }
        var leaks = LeakCheck(candidate);
        checks.Add(leaks);
        progress?.Invoke(leaks);
        return checks;
    }

    /// <summary>One case in one dtype; the backend's tensors are given back afterwards.</summary>
    public static ParityCheck RunOne(IKernelBackend candidate, IKernels oracle, ParityCase c, DType dtype, bool onDevice, Random random)
    {
        try
        {
            var (expected, actual, scale) = c.Run(new ParityContext(candidate, oracle, dtype, random));
            var tolerance = ParityTolerances.For(dtype, onDevice, c.Arithmetic, c.Reduction, scale ?? ParityTolerances.RootMeanSquare(expected.Span));
            return ParityComparison.Compare(c.Name, dtype, c.Shape, expected, actual, tolerance);
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

    /// <summary>After the last reset the backend holds no tensors.</summary>
    private static ParityCheck LeakCheck(IKernelBackend candidate)
    {
        int live = candidate.LiveAllocations;
        return new ParityCheck("reset frees every tensor", DType.F32, "after the suite", live == 0 ? ParityStatus.Passed : ParityStatus.Failed,
            live, live == 0 ? 0 : double.PositiveInfinity, ParityTolerance.Exact, live == 0 ? null : $"{live} tensors still live after Reset");
    }

    private static int CaseSeed(int seed, int index, DType dtype) => unchecked(seed * 1_000_003 + index * 131 + (int)dtype);
}
