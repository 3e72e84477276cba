using EdgePruning.Bench.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Bench;

public static class Program
{
    /// <summary>
    /// `gemm [runs]`, `masked-read [runs [reference runs]]`, `forward [options]`, `prune-step [steps] [BxT ...]` `warm-start MODEL TASK N ...` and `acdc MODEL TASK tau K [examples] [runs]`
    /// print quick throughput tables, `step-errors [models folder]` the pruning step checks' errors on the CUDA backend; anything else goes to BenchmarkDotNet, e.g. <c>--filter '*MaskedRead*' --job short</c>
    /// for the fused masked read against its unfused baseline (EDGEPRUNE_BENCH_DEVICE=cpu|cuda picks the backend).
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gemm") return GemmThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "masked-read") return MaskedReadThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "forward") return ForwardThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "prune-step") return PruneStepThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "mask-step") return MaskStepThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "task-step") return TaskStepThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "step-errors") return StepParityErrors.Run(args[1..]);
        if (args.Length > 0 && args[0] == "warm-start") return WarmStartCurves.Run(args[1..]);
        if (args.Length > 0 && args[0] == "acdc") return AcdcThroughput.Run(args[1..]);
        try
        {
            BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        }
        catch (Exception e) when (Cause(e) is EdgePruningException cause)
        {
            // E.g. no CUDA device for EDGEPRUNE_BENCH_DEVICE=cuda, raised while BenchmarkDotNet reads the parameters.
            Console.Error.WriteLine($"bench: error: {cause.Message}");
            return 1;
        }
        finally
        {
            BenchBackend.Close();
        }
        return 0;
    }

    private static Exception Cause(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or TypeInitializationException && e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
