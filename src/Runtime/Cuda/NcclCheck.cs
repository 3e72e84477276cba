using System.Runtime.InteropServices;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>Turns an ncclResult_t into a one-line <see cref="NcclException"/>: the call, NCCL's error string and its last error text.</summary>
internal static unsafe class NcclCheck
{
    public static void Result(int result, string call, IntPtr comm = default)
    {
        if (result == NcclApi.Success) return;
        string text = Marshal.PtrToStringUTF8((IntPtr)NcclApi.ncclGetErrorString(result)) ?? $"ncclResult_t {result}";
        string detail = Marshal.PtrToStringUTF8((IntPtr)NcclApi.ncclGetLastError(comm)) ?? "";
        detail = detail.ReplaceLineEndings(" ").Trim();
        throw new NcclException($"{call} failed with NCCL error {result}, {text}" + (detail.Length > 0 ? $": {detail}" : ""), result);
    }
}
