using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Parity;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

public class KernelParitySuiteTests
{
    private const int Seed = 20240611;

    private static string Failures(IEnumerable<ParityCheck> checks) => string.Join("\n", checks.Where(c => c.Status == ParityStatus.Failed)
        .Select(c => $"{c.Name} {c.DType.Name()} {c.Shape}: abs {c.MaxAbsError:E2} rel {c.MaxRelError:E2} tol {c.Tolerance}; {c.Detail}"));

    [Fact]
    public void CpuKernels_MatchTheReference_OnEveryCase()
    {
        using var backend = new CpuKernelBackend(CpuKernels.Instance);
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed);

        Assert.True(checks.All(c => c.Passed), Failures(checks));
        int expected = KernelParitySuite.Cases.Sum(c => KernelParitySuite.DTypesOf(c, backend).Count) + 1;
        Assert.Equal(expected, checks.Count);
    }

    [Fact]
    public void Suite_CoversEveryKernelMethod()
    {
        var names = KernelParitySuite.Cases.Select(c => c.Name).ToHashSet();
        foreach (var method in typeof(IKernels).GetMethods())
        {
            string name = method.Name.ToLowerInvariant();
            Assert.True(names.Any(n => n == name || n.StartsWith(name + " ", StringComparison.Ordinal)), $"no parity case for IKernels.{method.Name}");
        }
    }

    [Fact]
    public void Suite_CoversTheShapesThatSplitKernelPaths()
    {
        var attention = AttentionParityCases.Shapes;
        Assert.Contains(attention, s => s.KeyCount < 256 && s.KeyCount > 200);
        Assert.Contains(attention, s => s.KeyCount > 256 && s.KeyCount < 300);
        Assert.Contains(attention, s => s.KeyCount >= 1500);
        Assert.Contains(attention, s => s.Heads != s.KvHeads && s.KeyCount < s.MaxKeys && s.QueryStart > 0);
        Assert.Contains(attention, s => s.Causal && s.Mask != AttentionParityCases.Mask.None);
        Assert.Contains(attention, s => !s.Causal && s.Mask != AttentionParityCases.Mask.None);
        Assert.Contains(KernelParitySuite.Cases, c => c.Name == "copy f32→bf16→f32");
    }

    [Fact]
    public void QuickSuite_IsASubsetWithEveryKernelMethod()
    {
        using var backend = new CpuKernelBackend(CpuKernels.Instance);
        var quick = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, quick: true);
        Assert.True(quick.All(c => c.Passed), Failures(quick));
        Assert.True(quick.Count < KernelParitySuite.Cases.Count);
        foreach (var method in typeof(IKernels).GetMethods())
            Assert.Contains(quick, c => c.Name.StartsWith(method.Name.ToLowerInvariant(), StringComparison.Ordinal));
    }

    [Fact]
    public void LayerNormOffByOneHundredth_FailsEveryLayerNormCheckAndNothingElse()
    {
        using var backend = new CpuKernelBackend(new FaultyKernels(CpuKernels.Instance, KernelFault.LayerNormOffset));
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, families: [ParityFamily.Kernels]);

        var failed = checks.Where(c => !c.Passed).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, c => Assert.Equal("layernorm", c.Name));
        Assert.All(checks.Where(c => c.Name == "layernorm"), c =>
        {
            Assert.Equal(ParityStatus.Failed, c.Status);
            Assert.True(c.MaxAbsError >= 0.9e-2 && c.MaxAbsError <= 1.1e-2, $"max abs error {c.MaxAbsError}");
            Assert.Contains("outside tolerance", c.Detail);
        });
    }

    [Fact]
    public void DroppedCausalFlag_FailsEveryCausalCaseWhereItMatters()
    {
        using var backend = new CpuKernelBackend(new FaultyKernels(CpuKernels.Instance, KernelFault.CausalDropped));
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, families: [ParityFamily.Kernels]);

        // Causality hides keys only when some query sits before the last key.
        var mustFail = AttentionParityCases.Shapes.Where(s => s.Causal && s.QueryStart < s.KeyCount - 1).Select(s => s.ToString()).ToHashSet();
        Assert.NotEmpty(mustFail);
        var failed = checks.Where(c => !c.Passed).Select(c => (c.Name, c.Shape)).ToHashSet();
        Assert.Equal(mustFail.Select(s => ("attention", s)).ToHashSet(), failed);
    }

    [Fact]
    public void OnePassVariance_FailsTheLayerNormOfRowsFarFromZero()
    {
        using var backend = new CpuKernelBackend(new FaultyKernels(CpuKernels.Instance, KernelFault.LayerNormOnePassVariance));
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, families: [ParityFamily.Kernels]);
        var offset = Assert.Single(checks, c => c.Name == "layernorm" && c.Shape.Contains("around"));
        Assert.Equal(ParityStatus.Failed, offset.Status);
    }

    [Fact]
    public void Bf16Storage_PassesWithBf16Tolerances_AndTheOracleSeesRoundedInputs()
    {
        using var backend = new Bf16StorageBackend();
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed);

        Assert.True(checks.All(c => c.Passed), Failures(checks));
        // The masked read's statistics, dz and dC are f32 whatever its stack is stored in, its dD f32 or bf16; every
        // other output is bf16.
        var maskedRead = KernelParitySuite.Cases.Where(c => c.Family == ParityFamily.MaskedRead).Select(c => c.Name).ToHashSet();
        var bf16 = checks.Where(c => c.DType == DType.BF16 && !c.Tolerance.IsExact && !maskedRead.Contains(c.Name)).ToList();
        Assert.NotEmpty(bf16);
        Assert.All(bf16, c => Assert.Equal(ParityTolerances.Bf16, c.Tolerance.Rtol));
        Assert.Contains(checks, c => c.Name == "masked read backward" && c.DType == DType.BF16 && c.Tolerance.Rtol == ParityTolerances.F32);
        // A bf16 dD is held to the bf16 rule, and its rounding shows: it is the check's worst output.
        Assert.Contains(checks, c => c.Name == "masked read backward" && c.Shape.Contains("dD bf16", StringComparison.Ordinal)
            && c.Tolerance.Rtol == ParityTolerances.Bf16 && c.MaxRelError > 100 * ParityTolerances.F32);
        // Exact checks (embedding, copies) stay exact in bf16: only possible if the oracle read the rounded table.
        Assert.Contains(checks, c => c.Name == "embedding" && c.DType == DType.BF16 && c.Tolerance.IsExact && c.Passed);
        // bf16 output rounding is visible: some checks are far from f32 agreement.
        Assert.Contains(bf16, c => c.MaxRelError > 100 * ParityTolerances.F32);
    }

    [Fact]
    public void F32Tolerances_AreTighterThanBf16RoundingOfTheOutput()
    {
        // Holding f32 results to bf16 would hide a kernel that rounds through bf16: the f32 tolerance must reject it.
        using var backend = new CpuKernelBackend(new FaultyKernels(CpuKernels.Instance, KernelFault.LayerNormThroughBf16));
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, quick: true);
        Assert.Contains(checks, c => c.Name == "layernorm" && c.Status == ParityStatus.Failed);
    }

    [Fact]
    public void OneElementActivations_PassForEverySeed_TheirTailsMeasuredAgainstTheInput()
    {
        // Far left, GELU is a tiny difference of order-|x| terms; against its own size alone no f32 kernel would pass.
        using var backend = new CpuKernelBackend(CpuKernels.Instance);
        var cases = KernelParitySuite.Cases.Where(c => c.Name.StartsWith("activate ", StringComparison.Ordinal) && c.Shape == "x[1,1]").ToList();
        Assert.Equal(Enum.GetValues<Activation>().Length, cases.Count);
        var oracle = ParityOracle.Host();
        for (int seed = 0; seed < 200; seed++)
            foreach (var c in cases)
            {
                var check = KernelParitySuite.RunOne(backend, oracle, c, DType.F32, onDevice: false, new Random(seed));
                Assert.True(check.Passed, $"{c.Name} seed {seed}: {check.Detail}");
            }
    }

    [Fact]
    public void Tolerance_OnTheGpu_GrowsWithTheReductionForMatrixProductsOnly()
    {
        double host = ParityTolerances.Relative(DType.F32, onDevice: false, ParityArithmetic.MatrixProduct, 768);
        double gpu = ParityTolerances.Relative(DType.F32, onDevice: true, ParityArithmetic.MatrixProduct, 768);
        double gpuNorm = ParityTolerances.Relative(DType.F32, onDevice: true, ParityArithmetic.Float, 768);
        Assert.Equal(1e-5, host);
        Assert.Equal(Math.Sqrt(768) / 2048, gpu, 12);
        Assert.Equal(1e-5, gpuNorm);
        Assert.Equal(0, ParityTolerances.Relative(DType.BF16, onDevice: true, ParityArithmetic.Exact, 768));
    }

    [Fact]
    public void Comparison_UsesTheMixedCriterion_AndNaNMatchesOnlyNaN()
    {
        var expected = Tensor.FromData([1f, -2f, 0f, float.NaN, float.PositiveInfinity], 5);
        var tolerance = new ParityTolerance(Atol: 0.01, Rtol: 0.1);
        var near = Tensor.FromData([1.1f, -2.2f, 0.0099f, float.NaN, float.PositiveInfinity], 5);
        Assert.True(ParityComparison.Compare("t", DType.F32, "[5]", expected, near, tolerance).Passed);

        var far = Tensor.FromData([1f, -2f, 0.02f, float.NaN, float.PositiveInfinity], 5);
        var farCheck = ParityComparison.Compare("t", DType.F32, "[5]", expected, far, tolerance);
        Assert.Equal(ParityStatus.Failed, farCheck.Status);
        Assert.Contains("worst at 2", farCheck.Detail);

        var nan = Tensor.FromData([1f, -2f, float.NaN, float.NaN, float.PositiveInfinity], 5);
        var nanCheck = ParityComparison.Compare("t", DType.F32, "[5]", expected, nan, tolerance);
        Assert.Equal(ParityStatus.Failed, nanCheck.Status);
        Assert.Equal(double.PositiveInfinity, nanCheck.MaxAbsError);
    }

    [Fact]
    public void ThrowingKernel_IsAFailedCheckAndTheSuiteGoesOn()
    {
        using var backend = new CpuKernelBackend(new FaultyKernels(CpuKernels.Instance, KernelFault.SoftmaxThrows));
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, quick: true);
        Assert.All(checks.Where(c => c.Name == "softmax"), c =>
        {
            Assert.Equal(ParityStatus.Failed, c.Status);
            Assert.Contains("NotSupportedException: softmax is broken", c.Detail);
        });
        Assert.All(checks.Where(c => c.Name != "softmax"), c => Assert.True(c.Passed, c.Name));
    }
}
