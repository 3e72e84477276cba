using System.Runtime.InteropServices;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// NCCL's ncclUniqueId: 128 bytes that name one communicator while its ranks join it (<see cref="NcclCommunicator.Join"/>).
/// Made once with <see cref="Create"/> and handed to every rank (one host thread per GPU in this process).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct NcclUniqueId
{
    private fixed byte _bytes[128];

    /// <summary>A fresh id from NCCL.</summary>
    public static NcclUniqueId Create()
    {
        CudaLibraryResolver.Require(CudaLibraryResolver.Nccl);
        NcclUniqueId id;
        NcclCheck.Result(NcclApi.ncclGetUniqueId(&id), "ncclGetUniqueId");
        return id;
    }
}
