using System.Runtime.InteropServices;

namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// Bindings to NCCL (libnccl.so.2): communicators over the GPUs of this process, group calls, and the collectives a
/// data-parallel step needs (all-reduce, broadcast). A communicator is an opaque pointer; streams are the driver's
/// CUstream handles (the runtime's cudaStream_t is the same pointer).
/// </summary>
internal static unsafe partial class NcclApi
{
    public const int Success = 0;
    public const int InProgress = 7;
    public const int Float16 = 6, Float32 = 7, Bfloat16 = 9; // ncclDataType_t
    public const int Sum = 0;                                 // ncclRedOp_t

    private const string Lib = CudaLibraryResolver.Nccl;

    [LibraryImport(Lib)] public static partial int ncclGetVersion(int* version);
    [LibraryImport(Lib)] public static partial int ncclGetUniqueId(NcclUniqueId* id);
    [LibraryImport(Lib)] public static partial int ncclCommInitRank(IntPtr* comm, int nranks, NcclUniqueId id, int rank);
    [LibraryImport(Lib)] public static partial int ncclCommInitAll(IntPtr* comms, int ndev, int* devlist);
    [LibraryImport(Lib)] public static partial int ncclCommDestroy(IntPtr comm);
    [LibraryImport(Lib)] public static partial int ncclCommAbort(IntPtr comm);
    [LibraryImport(Lib)] public static partial int ncclCommCount(IntPtr comm, int* count);
    [LibraryImport(Lib)] public static partial int ncclCommCuDevice(IntPtr comm, int* device);
    [LibraryImport(Lib)] public static partial int ncclCommUserRank(IntPtr comm, int* rank);
    [LibraryImport(Lib)] public static partial int ncclGroupStart();
    [LibraryImport(Lib)] public static partial int ncclGroupEnd();
    [LibraryImport(Lib)] public static partial byte* ncclGetErrorString(int result);
    [LibraryImport(Lib)] public static partial byte* ncclGetLastError(IntPtr comm);

    [LibraryImport(Lib)]
    public static partial int ncclAllReduce(ulong sendbuff, ulong recvbuff, nuint count, int datatype, int op, IntPtr comm, IntPtr stream);

    [LibraryImport(Lib)]
    public static partial int ncclBroadcast(ulong sendbuff, ulong recvbuff, nuint count, int datatype, int root, IntPtr comm, IntPtr stream);
}
