using System.Text.RegularExpressions;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cuda;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels.Cuda;

/// <summary>
/// Every kernel name the CUDA launchers look up exists as an extern "C" __global__ function of the source
/// file they name, so a misspelt name fails here and not at the first launch on a GPU.
/// </summary>
public class KernelEntryPointTests
{
    private static HashSet<string> EntryPoints(string file) =>
        Regex.Matches(KernelSources.Read(file), @"extern ""C"" __global__ void (\w+)\(")
            .Select(m => m.Groups[1].Value)
            .ToHashSet();

    [Fact]
    public void TypedKernels_HaveF32AndBf16EntryPoints()
    {
        foreach (var kernel in KernelEntryPoints.Typed)
        {
            var names = EntryPoints(kernel.File);
            Assert.Contains(kernel.Name + "_f32", names);
            Assert.Contains(kernel.Name + "_bf16", names);
        }
    }

    [Fact]
    public void EveryNamedKernel_IsInTheTypedTable()
    {
        var named = typeof(KernelEntryPoints).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(KernelName))
            .Select(f => (KernelName)f.GetValue(null)!);
        Assert.All(named, kernel => Assert.Contains(kernel, KernelEntryPoints.Typed));
    }

    [Fact]
    public void Conversions_ExistBetweenEveryPairOfStorageTypes()
    {
        var names = EntryPoints(KernelEntryPoints.ConvertFile);
        DType[] dtypes = [DType.F32, DType.BF16, DType.F16];
        foreach (var source in dtypes)
        foreach (var destination in dtypes)
            if (source != destination) Assert.Contains(KernelEntryPoints.Convert(source, destination), names);
    }
}
