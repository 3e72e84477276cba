using EdgePruning.Bench.Kernels;

namespace EdgePruning.Bench;

public static class Program
{
    /// <summary>`gemm [runs]` prints the quick GEMM throughput table; anything else goes to BenchmarkDotNet.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "gemm") return GemmThroughput.Run(args[1..]);
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
