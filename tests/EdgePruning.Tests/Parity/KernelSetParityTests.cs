using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Parity;
using EdgePruning.Kernels.Reference;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

/// <summary>The parity checks of the gradient, training and masked-read kernel sets, and how the suite treats several outputs and missing sets.</summary>
public class KernelSetParityTests
{
    private const int Seed = 20240611;

    private static IReadOnlyList<ParityCheck> RunCases(IKernelBackend backend, Func<ParityCase, bool> which)
    {
        var oracle = ParityOracle.Host();
        var checks = new List<ParityCheck>();
        for (int i = 0; i < KernelParitySuite.Cases.Count; i++)
        {
            var c = KernelParitySuite.Cases[i];
            if (!which(c)) continue;
            foreach (var dtype in KernelParitySuite.DTypesOf(c, backend))
                checks.Add(KernelParitySuite.RunOne(backend, oracle, c, dtype, onDevice: false, new Random(Seed + i)));
        }
        return checks;
    }

    [Fact]
    public void EveryMethodOfEveryKernelSet_HasACase_AlsoInTheQuickSubset()
    {
        var sets = new (Type Interface, ParityFamily Family, string Prefix)[]
        {
            (typeof(IGradientKernels), ParityFamily.Gradients, ""),
            (typeof(ITrainingKernels), ParityFamily.Training, ""),
            (typeof(IMaskedReadKernels), ParityFamily.MaskedRead, "MaskedRead"),
        };
        foreach (var (type, family, prefix) in sets)
            foreach (var method in type.GetMethods())
            {
                string name = (prefix + method.Name).ToLowerInvariant();
                var cases = KernelParitySuite.Cases.Where(c => c.Name.Replace(" ", "") == name).ToList();
                Assert.True(cases.Count > 0, $"no parity case for {type.Name}.{method.Name}");
                Assert.All(cases, c => Assert.Equal(family, c.Family));
                Assert.True(cases.Any(c => c.Quick), $"no quick parity case for {type.Name}.{method.Name}");
            }
    }

    [Fact]
    public void TrainingCases_RunInF32Only_TheOthersInEveryStoredDType_AndABf16YOnlyWhereBf16IsStored()
    {
        using var cpu = new CpuKernelBackend();
        using var bf16 = new Bf16StorageBackend();
        var cases = KernelParitySuite.Cases;
        Assert.All(cases.Where(c => c.Family == ParityFamily.Training), c => Assert.Equal([DType.F32], KernelParitySuite.DTypesOf(c, bf16)));
        Assert.All(cases.Where(c => c.Family == ParityFamily.Gradients), c => Assert.Equal(bf16.DTypes, KernelParitySuite.DTypesOf(c, bf16)));
        var bf16Y = cases.Where(c => c.Family == ParityFamily.MaskedRead && c.Needs == DType.BF16).ToList();
        Assert.NotEmpty(bf16Y);
        Assert.All(bf16Y, c => Assert.Empty(KernelParitySuite.DTypesOf(c, cpu)));
        Assert.All(bf16Y, c => Assert.Equal(bf16.DTypes, KernelParitySuite.DTypesOf(c, bf16)));
    }

    [Fact]
    public void AttentionBackwardShapes_CoverCausalGroupedMaskedAndModelSized()
    {
        var shapes = GradientParityCases.AttentionShapes;
        Assert.Contains(shapes, s => s.Causal && s.Heads == 4 && s.KvHeads == 2);
        Assert.Contains(shapes, s => !s.Causal && s.Mask != AttentionParityCases.Mask.None);
        Assert.Contains(shapes, s => s.Causal && s.Mask == AttentionParityCases.Mask.EveryFifthAndFirst);
        Assert.Contains(shapes, s => s.Queries == 64 && s.Keys == 64 && s.Heads == 12 && s.KeyDim == 64);
        Assert.Contains(shapes, s => s.Gradients != GradientParityCases.Computed.All);
    }

    [Fact]
    public void VisiblePrefixesIgnored_FailsExactlyTheMaskedEdgeSumsWithPrefixes()
    {
        using var backend = new ReplacedSetBackend(training: new VisibleIgnoredTrainingKernels(new ReferenceTrainingKernels(CpuKernels.Instance)));
        var checks = RunCases(backend, c => c.Name.StartsWith("masked edge sum", StringComparison.Ordinal));

        Assert.NotEmpty(checks);
        Assert.All(checks, c => Assert.Equal(c.Shape.Contains("visible prefixes"), !c.Passed));
    }

    [Fact]
    public void KeyMaskIgnored_FailsExactlyTheAttentionBackwardsWithHiddenKeys()
    {
        using var backend = new ReplacedSetBackend(gradients: new KeyMaskIgnoredGradientKernels(new CpuGradientKernels()));
        var checks = RunCases(backend, c => c.Name == "attention backward");

        Assert.NotEmpty(checks);
        Assert.All(checks, c => Assert.Equal(c.Shape.Contains("hidden"), !c.Passed));
    }

    [Fact]
    public void CorruptedGradientDropped_FailsEveryMaskedReadBackward_InItsDCOnly()
    {
        using var backend = new ReplacedSetBackend(maskedRead: new CorruptedGradientDroppedMaskedRead(MaskedReadReference.Instance));
        var checks = RunCases(backend, c => c.Family == ParityFamily.MaskedRead && c.Shape.StartsWith("layernorm: z[9,4]", StringComparison.Ordinal));

        Assert.Contains(checks, c => c.Name == "masked read forward" && c.Passed);
        var backward = Assert.Single(checks, c => c.Name == "masked read backward");
        Assert.Equal(ParityStatus.Failed, backward.Status);
        Assert.StartsWith("dC: ", backward.Detail);
        Assert.DoesNotContain("dz:", backward.Detail);
    }

    [Fact]
    public void StackGradientOverwritten_FailsEveryMaskedReadBackward_InItsDDOnly_InBothStoredDTypes()
    {
        using var backend = new Bf16StorageBackend { MaskedRead = new StackGradientOverwrittenMaskedRead(new CpuMaskedRead(Environment.ProcessorCount)) };
        var checks = RunCases(backend, c => c.Name == "masked read backward" && c.Shape.StartsWith("rmsnorm: z[9,4]", StringComparison.Ordinal));

        // dY f32 and bf16, dD f32 and bf16, each in the two dtypes of D.
        Assert.Equal(8, checks.Count);
        Assert.Contains(checks, c => c.Shape.Contains("dD bf16", StringComparison.Ordinal));
        Assert.All(checks, c =>
        {
            Assert.Equal(ParityStatus.Failed, c.Status);
            Assert.StartsWith("dD: ", c.Detail);
            Assert.DoesNotContain("dz:", c.Detail);
            Assert.DoesNotContain("dC:", c.Detail);
        });
    }

    [Fact]
    public void ABackendWithoutGradientKernels_IsOneCheckNotRun_AndTheOtherSetsRun()
    {
        using var backend = new ReplacedSetBackend(gradientsMissing: "gradient kernels are not built yet");
        var checks = KernelParitySuite.Run(backend, ParityOracle.Host(), Seed, quick: true);

        var notRun = Assert.Single(checks, c => c.Status == ParityStatus.NotRun);
        Assert.Equal("gradient kernels", notRun.Name);
        Assert.Contains("gradient kernels are not built yet", notRun.Detail);
        var gradientNames = KernelParitySuite.Cases.Where(c => c.Family == ParityFamily.Gradients).Select(c => c.Name).ToHashSet();
        Assert.DoesNotContain(checks, c => gradientNames.Contains(c.Name));
        Assert.Contains(checks, c => c.Name == "adamw" && c.Passed);
        Assert.Contains(checks, c => c.Name == "masked read backward" && c.Passed);
        Assert.All(checks.Where(c => c.Status != ParityStatus.NotRun), c => Assert.True(c.Passed, c.Name));
    }

    [Fact]
    public void SeveralOutputs_EachUnderItsOwnTolerance_AreOneCheckNamingTheOutputThatFailed()
    {
        var small = Tensor.FromData([1e-3f, -1e-3f], 2);
        var large = Tensor.FromData([10f, -10f], 2);
        var tight = new ParityTolerance(Atol: 1e-8, Rtol: 1e-5);
        var outputs = new List<(string, Tensor, Tensor, ParityTolerance)>
        {
            ("dq", small, Tensor.FromData([1e-3f, -1e-3f], 2), tight),
            ("dk", large, Tensor.FromData([10f, -10.001f], 2), new ParityTolerance(1e-4, 1e-5)),
        };
        var check = ParityComparison.Compare("attention backward", DType.F32, "s", outputs);

        Assert.Equal(ParityStatus.Failed, check.Status);
        Assert.StartsWith("dk: 1 of 2 elements outside tolerance", check.Detail);
        Assert.DoesNotContain("dq", check.Detail);
        Assert.Equal(1e-3, check.MaxAbsError, 4);

        outputs[1] = ("dk", large, Tensor.FromData([10f, -10f], 2), new ParityTolerance(1e-4, 1e-5));
        Assert.True(ParityComparison.Compare("attention backward", DType.F32, "s", outputs).Passed);
    }

    [Fact]
    public void AnOutputAddedInto_IsMeasuredAgainstTheLargerTerm_NotTheSum()
    {
        float[] before = [1f, -1f, 1f, -1f];
        float[] after = [0f, 0f, 0f, 0f];  // what was added cancelled the values before
        Assert.Equal(1.0, ParityTolerances.ScaleOfSum(before, after), 12);
        Assert.Equal(2.0, ParityTolerances.ScaleOfSum([0f, 0f], [2f, -2f]), 12);
    }

    [Fact]
    public void TheOraclesOnTheHost_AreTheReferenceImplementations()
    {
        var oracle = ParityOracle.Host();
        Assert.Same(ReferenceKernels.Instance, oracle.Kernels);
        Assert.IsType<CpuGradientKernels>(oracle.Gradients);
        Assert.IsType<ReferenceTrainingKernels>(oracle.Training);
        Assert.Same(MaskedReadReference.Instance, oracle.MaskedRead);
        Assert.NotSame(oracle.Gradients, ParityOracle.Host().Gradients);
    }
}
