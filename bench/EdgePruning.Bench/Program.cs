using EdgePruning.Bench.Kernels;

namespace EdgePruning.Bench;

public static class Program
{
    /// <summary>
    /// `gemm [runs]`, `masked-read [runs [reference runs]]`, `forward [options]` and `prune-step [steps] [BxT ...]`
    /// print quick throughput tables; anything else goes to BenchmarkDotNet.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gemm") return GemmThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "masked-read") return MaskedReadThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "forward") return ForwardThroughput.Run(args[1..]);
        if (args.Length > 0 && args[0] == "prune-step") return PruneStepThroughput.Run(args[1..]);
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
