using System.Runtime.InteropServices;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>Turns driver, NVRTC and cuBLAS status codes into one-line exceptions naming the call.</summary>
internal static unsafe class CudaCheck
{
    public static void Driver(int result, string call)
    {
        if (result == 0) return;
        byte* name = null;
        string text = CudaDriverApi.cuGetErrorName(result, &name) == 0 && name != null
            ? Marshal.PtrToStringUTF8((IntPtr)name) ?? result.ToString()
            : result.ToString();
        // The driver's sentence says what went wrong (under the CUDA emulator it also names the kernel, thread and address).
        byte* sentence = null;
        if (CudaDriverApi.cuGetErrorString(result, &sentence) == 0 && sentence != null && Marshal.PtrToStringUTF8((IntPtr)sentence) is { Length: > 0 } said)
            text += ": " + said;
        if (result == CudaDriverApi.ErrorOutOfMemory) throw new DeviceOutOfMemoryException($"{call} failed: out of GPU memory ({text})");
        throw new CudaException($"{call} failed with {text}");
    }

    public static void Nvrtc(int result, string call)
    {
        if (result == 0) return;
        var text = Marshal.PtrToStringUTF8((IntPtr)NvrtcApi.nvrtcGetErrorString(result)) ?? result.ToString();
        throw new CudaException($"{call} failed with {text}");
    }

    public static void Cublas(int result, string call)
    {
        if (result == 0) return;
        var text = Marshal.PtrToStringUTF8((IntPtr)CublasApi.cublasGetStatusName(result)) ?? result.ToString();
        if (text == "CUBLAS_STATUS_ALLOC_FAILED") throw new DeviceOutOfMemoryException($"{call} failed: out of GPU memory ({text})");
        throw new CudaException($"{call} failed with {text}");
    }
}
