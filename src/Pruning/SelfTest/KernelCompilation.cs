using EdgePruning.Kernels;
using EdgePruning.Kernels.Cuda;
using EdgePruning.Kernels.Parity;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// The self-test's first check on a GPU: every kernel source of kernels-cu/ compiled and loaded before any
/// kernel runs, so that a source the compiler rejects is one failed check naming the file (with the
/// compiler's error lines), not a crash at its first launch. Every file is tried, so all broken ones are named.
/// A host backend has nothing to compile and gets no check.
/// </summary>
public static class KernelCompilation
{
    public const string CheckName = "compile kernels-cu";

    public static ParityCheck? Check(IKernelBackend backend) =>
        backend is CudaKernelBackend cuda ? Check(KernelSources.Kernels, file => cuda.Modules.Module(file)) : null;

    /// <summary>Loads each of <paramref name="files"/> with <paramref name="load"/>; one check for all of them.</summary>
    public static ParityCheck Check(IReadOnlyList<string> files, Action<string> load)
    {
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                load(file);
            }
            catch (Exception e)
            {
                failures.Add(e.Message.Contains(file, StringComparison.Ordinal) ? e.Message : $"{file}: {e.Message}");
            }
        }
        string shape = $"{files.Count} sources";
        return failures.Count == 0
            ? new ParityCheck(CheckName, DType.F32, shape, ParityStatus.Passed, 0, 0, ParityTolerance.Exact)
            : new ParityCheck(CheckName, DType.F32, shape, ParityStatus.Failed, double.NaN, double.NaN, ParityTolerance.Exact,
                string.Join("; ", failures));
    }
}
