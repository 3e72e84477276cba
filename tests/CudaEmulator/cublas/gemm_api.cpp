// cublasGemmEx and cublasGemmStridedBatchedEx: argument validation with cuBLAS's status codes, the choice of
// TF32 inputs, and the queuing of the product on the handle's stream (or into the graph it captures).
#include <algorithm>

#include "cublas_internal.h"
#include "ep_emu_host.h"

namespace ep_cublas {
namespace {

const char* type_name(int type) {
    switch (type) {
        case kR32F: return "CUDA_R_32F";
        case kR16F: return "CUDA_R_16F";
        case kR16BF: return "CUDA_R_16BF";
        default: return "an unsupported cudaDataType";
    }
}

bool is_algorithm(int algo) {
    // CUBLAS_GEMM_DEFAULT, CUBLAS_GEMM_ALGO0..23, CUBLAS_GEMM_DEFAULT_TENSOR_OP, CUBLAS_GEMM_ALGO0..15_TENSOR_OP;
    // every one computes the same product here.
    return algo == -1 || (algo >= 0 && algo <= 23) || algo == 99 || (algo >= 100 && algo <= 115);
}

// The emulated subset of cublasGemmEx's type table: compute 32F (and 32F_PEDANTIC) with A, B in f32, f16 or
// bf16 and C in the same type or f32; 32F_FAST_TF32 only with f32 everywhere, as in cuBLAS.
Status check_types(const char* call, int atype, int btype, int ctype, int compute) {
    if (compute != kCompute32F && compute != kCompute32FPedantic && compute != kCompute32FFastTf32)
        return reject(kNotSupported, call, "compute type %d is not emulated (68, 69 and 77 are)", compute);
    if (atype != btype)
        return reject(kNotSupported, call, "A is %s but B is %s", type_name(atype), type_name(btype));
    bool input_ok = atype == kR32F || atype == kR16F || atype == kR16BF;
    bool output_ok = ctype == atype || (ctype == kR32F && input_ok);
    if (!input_ok || !output_ok)
        return reject(kNotSupported, call, "A/B %s with C %s is not a supported combination", type_name(atype), type_name(ctype));
    if (compute == kCompute32FFastTf32 && atype != kR32F)
        return reject(kNotSupported, call, "CUBLAS_COMPUTE_32F_FAST_TF32 needs CUDA_R_32F operands, not %s", type_name(atype));
    return kSuccess;
}

Status gemm(const char* call, void* handle, int transa, int transb, int m, int n, int k, const float* alpha,
            uint64_t a, int atype, int lda, int64_t stride_a, uint64_t b, int btype, int ldb, int64_t stride_b,
            const float* beta, uint64_t c, int ctype, int ldc, int64_t stride_c, int batch, int compute, int algo) {
    Handle* h = live_handle(handle);
    if (!h) return reject(kNotInitialized, call, "%p is not a live handle", handle);
    if (transa < kOpN || transa > kOpC || transb < kOpN || transb > kOpC)
        return reject(kInvalidValue, call, "transa=%d, transb=%d: each must be N (0), T (1) or C (2)", transa, transb);
    if (m < 0 || n < 0 || k < 0 || batch < 0)
        return reject(kInvalidValue, call, "m=%d, n=%d, k=%d, batchCount=%d: none may be negative", m, n, k, batch);
    int a_rows = transa == kOpN ? m : k, b_rows = transb == kOpN ? k : n;
    if (lda < std::max(1, a_rows)) return reject(kInvalidValue, call, "lda=%d < max(1, %d rows of stored A)", lda, a_rows);
    if (ldb < std::max(1, b_rows)) return reject(kInvalidValue, call, "ldb=%d < max(1, %d rows of stored B)", ldb, b_rows);
    if (ldc < std::max(1, m)) return reject(kInvalidValue, call, "ldc=%d < max(1, m=%d)", ldc, m);
    if (!alpha || !beta) return reject(kInvalidValue, call, "alpha or beta is a null host pointer");
    if (!is_algorithm(algo)) return reject(kNotSupported, call, "algorithm %d is not a cublasGemmAlgo_t", algo);
    Status types = check_types(call, atype, btype, ctype, compute);
    if (types != kSuccess) return types;
    if (m == 0 || n == 0 || batch == 0) return kSuccess;  // nothing to compute, as cuBLAS quick-returns

    // TF32 inputs: asked for by the compute type, or by the TF32 math mode for plain 32F with f32 operands;
    // CUBLAS_PEDANTIC_MATH forces the pedantic (no TF32) path whatever the compute type says.
    int math = h->math_mode & ~kDisallowReducedPrecisionReduction;
    bool tf32 = compute == kCompute32FFastTf32 ||
                (compute == kCompute32F && math == kTf32TensorOpMath && atype == kR32F && ctype == kR32F);
    if (math == kPedanticMath) tf32 = false;

    GemmWork work{transa == kOpN ? kOpN : kOpT, transb == kOpN ? kOpN : kOpT, m, n, k, *alpha, *beta, a, b, c,
                  atype, btype, ctype, lda, ldb, ldc, stride_a, stride_b, stride_c, batch, tf32};
    int result = ep_emu_enqueue(h->stream, call, run_gemm, &work, sizeof work);
    if (result != 0) return reject(kExecutionFailed, call, "the driver could not queue the work (CUresult %d)", result);
    return kSuccess;
}

}  // namespace
}  // namespace ep_cublas

using namespace ep_cublas;

EP_CUBLAS_API int cublasGemmEx(void* handle, int transa, int transb, int m, int n, int k, const float* alpha,
                               const void* a, int atype, int lda, const void* b, int btype, int ldb,
                               const float* beta, void* c, int ctype, int ldc, int compute, int algo) {
    return gemm("cublasGemmEx", handle, transa, transb, m, n, k, alpha, (uint64_t)(uintptr_t)a, atype, lda, 0,
                (uint64_t)(uintptr_t)b, btype, ldb, 0, beta, (uint64_t)(uintptr_t)c, ctype, ldc, 0, 1, compute, algo);
}

EP_CUBLAS_API int cublasGemmStridedBatchedEx(void* handle, int transa, int transb, int m, int n, int k,
                                             const float* alpha, const void* a, int atype, int lda, int64_t stride_a,
                                             const void* b, int btype, int ldb, int64_t stride_b, const float* beta,
                                             void* c, int ctype, int ldc, int64_t stride_c, int batch, int compute,
                                             int algo) {
    return gemm("cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, alpha, (uint64_t)(uintptr_t)a, atype,
                lda, stride_a, (uint64_t)(uintptr_t)b, btype, ldb, stride_b, beta, (uint64_t)(uintptr_t)c, ctype, ldc,
                stride_c, batch, compute, algo);
}
