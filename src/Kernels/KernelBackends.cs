using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cuda;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels;

/// <summary>Opens a backend by the name users give it: "cpu", "cuda" (device 0) or "cuda:N".</summary>
public static class KernelBackends
{
    public static IKernelBackend Open(string device)
    {
        if (device == "cpu") return new CpuKernelBackend();
        if (device == "cuda" || device.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int ordinal = device == "cuda" ? 0 : int.TryParse(device[5..], out var n) ? n : -1;
            if (ordinal < 0) throw new CudaUnavailableException($"'{device}' is not a device name; use cuda or cuda:N");
            return OpenCuda(ordinal);
        }
        throw new CudaUnavailableException($"unknown device '{device}'; use cpu, cuda or cuda:N");
    }

    private static IKernelBackend OpenCuda(int ordinal) => CudaKernelBackend.Open(ordinal);
}
