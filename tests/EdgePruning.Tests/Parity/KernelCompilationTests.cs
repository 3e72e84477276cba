using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Parity;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Tests.Parity;

public class KernelCompilationTests
{
    [Fact]
    public void EverySourceLoads_IsOnePassedCheck()
    {
        var loaded = new List<string>();
        var check = KernelCompilation.Check(KernelSources.Kernels, loaded.Add);

        Assert.Equal(ParityStatus.Passed, check.Status);
        Assert.Equal(KernelSources.Kernels, loaded);
        Assert.Equal($"{KernelSources.Kernels.Count} sources", check.Shape);
    }

    [Fact]
    public void ASourceThatDoesNotCompile_IsOneFailedCheckNamingTheFile_AndTheOthersAreStillTried()
    {
        var loaded = new List<string>();
        var check = KernelCompilation.Check(["adamw.cu", "kl.cu", "masked_read.cu", "softmax.cu"], file =>
        {
            if (file == "kl.cu") throw new KernelCompileException("kernel source kl.cu does not compile (--gpu-architecture=sm_90): kl.cu(12): error: expected a \";\"", "log");
            if (file == "softmax.cu") throw new CudaException("cuModuleLoadData(softmax.cu) failed: CUDA_ERROR_INVALID_IMAGE");
            loaded.Add(file);
        });

        Assert.Equal(ParityStatus.Failed, check.Status);
        Assert.Equal(["adamw.cu", "masked_read.cu"], loaded);
        Assert.Equal(KernelCompilation.CheckName, check.Name);
        Assert.StartsWith("kernel source kl.cu does not compile", check.Detail);
        Assert.Contains("kl.cu(12): error", check.Detail);
        Assert.Contains("softmax.cu", check.Detail);
        Assert.DoesNotContain("adamw.cu", check.Detail);
    }

    [Fact]
    public void AHostBackend_HasNothingToCompile()
    {
        using var backend = new CpuKernelBackend();
        Assert.Null(KernelCompilation.Check(backend));
    }
}
