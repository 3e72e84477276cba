// The emulated libraries' entry points as a client declares them (handles and communicators are opaque),
// with the constants the tests use; the values are cuBLAS's and NCCL's own.
#pragma once
#include <stddef.h>
#include <stdint.h>

extern "C" {
int cublasCreate_v2(void** handle);
int cublasDestroy_v2(void* handle);
int cublasSetStream_v2(void* handle, void* stream);
int cublasSetWorkspace_v2(void* handle, void* workspace, size_t bytes);
int cublasSetMathMode(void* handle, int mode);
int cublasGetProperty(int type, int* value);
const char* cublasGetStatusName(int status);
int cublasGemmEx(void* handle, int transa, int transb, int m, int n, int k, const float* alpha, const void* a,
                 int atype, int lda, const void* b, int btype, int ldb, const float* beta, void* c, int ctype, int ldc,
                 int compute, int algo);
int cublasGemmStridedBatchedEx(void* handle, int transa, int transb, int m, int n, int k, const float* alpha,
                               const void* a, int atype, int lda, int64_t stride_a, const void* b, int btype, int ldb,
                               int64_t stride_b, const float* beta, void* c, int ctype, int ldc, int64_t stride_c,
                               int batch, int compute, int algo);
size_t cublasLtGetVersion(void);
size_t cublasLtGetCudartVersion(void);

struct ncclUniqueId { char internal[128]; };
typedef void* ncclComm_t;
int ncclGetVersion(int* version);
const char* ncclGetErrorString(int result);
const char* ncclGetLastError(ncclComm_t comm);
int ncclGetUniqueId(ncclUniqueId* id);
int ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank);
int ncclCommInitAll(ncclComm_t* comms, int ndev, const int* devlist);
int ncclCommDestroy(ncclComm_t comm);
int ncclCommAbort(ncclComm_t comm);
int ncclCommCount(ncclComm_t comm, int* count);
int ncclCommCuDevice(ncclComm_t comm, int* device);
int ncclCommUserRank(ncclComm_t comm, int* rank);
int ncclAllReduce(const void* send, void* recv, size_t count, int type, int op, ncclComm_t comm, void* stream);
int ncclBroadcast(const void* send, void* recv, size_t count, int type, int root, ncclComm_t comm, void* stream);
int ncclReduce(const void* send, void* recv, size_t count, int type, int op, int root, ncclComm_t comm, void* stream);
int ncclAllGather(const void* send, void* recv, size_t count, int type, ncclComm_t comm, void* stream);
int ncclGroupStart(void);
int ncclGroupEnd(void);
}

enum { OpN = 0, OpT = 1 };
enum { R32F = 0, R16F = 2, R16BF = 14 };
enum { Compute32F = 68, Compute32FPedantic = 69, Compute32FFastTf32 = 77, GemmDefault = -1 };
enum { MathDefault = 0, MathPedantic = 2, MathTf32 = 3 };
enum { StatusSuccess = 0, StatusNotInitialized = 1, StatusInvalidValue = 7, StatusNotSupported = 15 };

enum { ncclSuccess = 0, ncclSystemError = 2, ncclInvalidArgument = 4, ncclInvalidUsage = 5, ncclRemoteError = 6 };
enum { ncclInt32 = 2, ncclInt64 = 4, ncclUint8 = 1, ncclFloat16 = 6, ncclFloat32 = 7, ncclFloat64 = 8, ncclBfloat16 = 9 };
enum { ncclSum = 0, ncclProd = 1, ncclMax = 2, ncclMin = 3, ncclAvg = 4 };
