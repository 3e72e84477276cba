// What the emulated cuBLAS's files share: the status, operation, data-type, compute-type and math-mode codes
// (the real cuBLAS values), the handle, and the GEMM work that runs on a stream.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define EP_CUBLAS_API extern "C" __attribute__((visibility("default")))

namespace ep_cublas {

enum Status {
    kSuccess = 0, kNotInitialized = 1, kAllocFailed = 3, kInvalidValue = 7, kArchMismatch = 8,
    kMappingError = 11, kExecutionFailed = 13, kInternalError = 14, kNotSupported = 15, kLicenseError = 16,
};
enum Operation { kOpN = 0, kOpT = 1, kOpC = 2 };  // C (conjugate transpose) is T for real types
enum DataType { kR32F = 0, kR16F = 2, kR16BF = 14 };
enum ComputeType { kCompute32F = 68, kCompute32FPedantic = 69, kCompute32FFastTf32 = 77 };
enum MathMode { kDefaultMath = 0, kTensorOpMath = 1, kPedanticMath = 2, kTf32TensorOpMath = 3, kDisallowReducedPrecisionReduction = 16 };

// The version cublasGetProperty reports; cublasLtGetVersion reports the same as 120800.
constexpr int kVersionMajor = 12, kVersionMinor = 8, kVersionPatch = 0;

struct Handle {
    void* stream;          // CUstream the work is queued on (0: legacy default stream)
    uint64_t workspace;    // user workspace (0: the default pool); the emulated GEMM needs none, it is only checked
    size_t workspace_bytes;
    int math_mode;
    int device;            // the device current at cublasCreate_v2
};

// The handle behind `h` if cublasCreate_v2 made it and cublasDestroy_v2 has not freed it, else nullptr.
Handle* live_handle(void* h);

// Prints why a call returns `status` (cuBLAS itself says nothing; the emulator tells the test log why).
Status reject(Status status, const char* call, const char* format, ...) __attribute__((format(printf, 3, 4)));

// One GEMM (batch = 1) or strided batch, as queued: everything the work needs, copied at call time.
struct GemmWork {
    int transa, transb, m, n, k;
    float alpha, beta;     // read at call time (host pointer mode)
    uint64_t a, b, c;
    int atype, btype, ctype, lda, ldb, ldc;
    int64_t stride_a, stride_b, stride_c;  // in elements
    int batch;
    bool tf32;             // round A and B to TF32 before multiplying
};

// The ep_emu_work_fn: checks every operand's range (failing the work with a message if one is outside device
// memory), then computes all batches.
void run_gemm(void* work);

// Bytes per element of a supported data type.
inline size_t element_bytes(int type) { return type == kR32F ? 4 : 2; }

}  // namespace ep_cublas
