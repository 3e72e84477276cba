// cuBLAS calls other than the product's result: handles, stream and workspace, math mode, version and status
// names, GEMM argument validation (status codes), and operands outside device memory (the failure reported
// by the queued work names the call and the operand, and leaves C unwritten).
#include <math.h>
#include <string.h>

#include "gemm_support.h"
#include "host_stub.h"
#include "testing.h"

TEST(cublas_handles_versions_and_names) {
    void* handle = nullptr;
    stub::set_current_device(-1);
    EXPECT(cublasCreate_v2(&handle) == StatusNotInitialized, "no current context");
    stub::set_current_device(0);
    EXPECT(cublasCreate_v2(nullptr) == StatusInvalidValue, "null handle pointer");
    EXPECT(cublasCreate_v2(&handle) == StatusSuccess, "create");
    EXPECT(cublasSetMathMode(handle, MathTf32) == StatusSuccess, "TF32 math");
    EXPECT(cublasSetMathMode(handle, MathTf32 | 16) == StatusSuccess, "TF32 math | DISALLOW_REDUCED_PRECISION_REDUCTION");
    EXPECT(cublasSetMathMode(handle, 7) == StatusInvalidValue, "math mode 7");
    EXPECT(cublasDestroy_v2(handle) == StatusSuccess, "destroy");
    EXPECT(cublasDestroy_v2(handle) == StatusNotInitialized, "destroy twice");
    EXPECT(cublasSetStream_v2(handle, nullptr) == StatusNotInitialized, "set stream on a destroyed handle");
    EXPECT(cublasSetStream_v2(nullptr, nullptr) == StatusNotInitialized, "null handle");
    int major = -1, minor = -1, patch = -1;
    EXPECT(cublasGetProperty(0, &major) == 0 && cublasGetProperty(1, &minor) == 0 && cublasGetProperty(2, &patch) == 0, "properties");
    EXPECT(major == 12 && minor == 8 && patch == 0, "version %d.%d.%d", major, minor, patch);
    EXPECT(cublasGetProperty(3, &major) == StatusInvalidValue, "property 3");
    EXPECT(cublasLtGetVersion() == 120800 && cublasLtGetCudartVersion() == 12080, "cuBLASLt versions");
    EXPECT(strcmp(cublasGetStatusName(7), "CUBLAS_STATUS_INVALID_VALUE") == 0, "name of 7");
    EXPECT(strcmp(cublasGetStatusName(15), "CUBLAS_STATUS_NOT_SUPPORTED") == 0, "name of 15");
    EXPECT(strcmp(cublasGetStatusName(0), "CUBLAS_STATUS_SUCCESS") == 0, "name of 0");
}

TEST(cublas_workspace_is_checked) {
    Handle h;
    void* workspace = stub::device_alloc(1 << 20);
    EXPECT(cublasSetWorkspace_v2(h.handle, workspace, 1 << 20) == StatusSuccess, "whole allocation");
    EXPECT(cublasSetWorkspace_v2(h.handle, workspace, (1 << 20) + 1) == StatusInvalidValue, "one byte past the allocation");
    EXPECT(cublasSetWorkspace_v2(h.handle, static_cast<char*>(workspace) + 16, 256) == StatusInvalidValue, "not 256-aligned");
    int on_stack[128];
    void* host = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(on_stack) + 255) / 256 * 256 - 256);
    EXPECT(cublasSetWorkspace_v2(h.handle, host, 256) == StatusInvalidValue, "host memory");
    EXPECT(cublasSetWorkspace_v2(h.handle, nullptr, 0) == StatusSuccess, "null resets to the default pool");
    stub::device_free(workspace);
}

TEST(gemm_argument_errors) {
    Handle h;
    std::mt19937 rng(5);
    Operand a(R32F, 64, rng), b(R32F, 64, rng), c(R32F, 64, rng);
    float one = 1, zero = 0;
    int enqueued = stub::enqueued(h.stream);
    auto gemm = [&](void* handle, int ta, int tb, int m, int n, int k, const float* alpha, int atype, int lda, int btype,
                    int ldb, int ctype, int ldc, int compute, int algo) {
        return cublasGemmEx(handle, ta, tb, m, n, k, alpha, a.device, atype, lda, b.device, btype, ldb, &zero, c.device,
                            ctype, ldc, compute, algo);
    };
    EXPECT(gemm(nullptr, 0, 0, 2, 2, 2, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, -1) == StatusNotInitialized, "null handle");
    EXPECT(gemm(h.handle, 5, 0, 2, 2, 2, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, -1) == StatusInvalidValue, "transa 5");
    EXPECT(gemm(h.handle, 0, 0, -1, 2, 2, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, -1) == StatusInvalidValue, "m < 0");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, -1, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, -1) == StatusInvalidValue, "k < 0");
    EXPECT(gemm(h.handle, 0, 0, 3, 2, 2, &one, R32F, 2, R32F, 2, R32F, 3, Compute32F, -1) == StatusInvalidValue, "lda < m (N)");
    EXPECT(gemm(h.handle, 1, 0, 3, 2, 4, &one, R32F, 3, R32F, 4, R32F, 3, Compute32F, -1) == StatusInvalidValue, "lda < k (T)");
    EXPECT(gemm(h.handle, 1, 0, 3, 2, 4, &one, R32F, 4, R32F, 4, R32F, 3, Compute32F, -1) == StatusSuccess, "lda = k (T)");
    EXPECT(gemm(h.handle, 0, 1, 2, 3, 2, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, -1) == StatusInvalidValue, "ldb < n (T)");
    EXPECT(gemm(h.handle, 0, 0, 3, 2, 2, &one, R32F, 3, R32F, 2, R32F, 2, Compute32F, -1) == StatusInvalidValue, "ldc < m");
    EXPECT(gemm(h.handle, 0, 0, 0, 2, 2, &one, R32F, 0, R32F, 2, R32F, 0, Compute32F, -1) == StatusInvalidValue, "lda = 0 when m = 0");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, nullptr, R32F, 2, R32F, 2, R32F, 2, Compute32F, -1) == StatusInvalidValue, "null alpha");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R32F, 2, R16BF, 2, R32F, 2, Compute32F, -1) == StatusNotSupported, "A f32, B bf16");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R16BF, 2, R16BF, 2, R16F, 2, Compute32F, -1) == StatusNotSupported, "bf16 into f16");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R32F, 2, R32F, 2, R16BF, 2, Compute32F, -1) == StatusNotSupported, "f32 into bf16");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R16BF, 2, R16BF, 2, R16BF, 2, Compute32FFastTf32, -1) == StatusNotSupported, "TF32 on bf16");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R32F, 2, R32F, 2, R32F, 2, 64, -1) == StatusNotSupported, "compute 16F");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, 3, 2, 3, 2, R32F, 2, Compute32F, -1) == StatusNotSupported, "data type 3");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, 50) == StatusNotSupported, "algorithm 50");
    EXPECT(gemm(h.handle, 0, 0, 2, 2, 2, &one, R32F, 2, R32F, 2, R32F, 2, Compute32F, 99) == StatusSuccess, "DEFAULT_TENSOR_OP");
    EXPECT(stub::enqueued(h.stream) == enqueued + 2, "only the two valid calls were queued");
    EXPECT(gemm(h.handle, 0, 0, 0, 2, 2, &one, R32F, 1, R32F, 2, R32F, 1, Compute32F, -1) == StatusSuccess, "m = 0");
    EXPECT(stub::enqueued(h.stream) == enqueued + 2, "m = 0 queues nothing");
    EXPECT(cublasGemmStridedBatchedEx(h.handle, 0, 0, 2, 2, 2, &one, a.device, R32F, 2, 4, b.device, R32F, 2, 4, &zero,
                                      c.device, R32F, 2, 4, -1, Compute32F, -1) == StatusInvalidValue, "batch < 0");
    EXPECT(cublasGemmStridedBatchedEx(h.handle, 0, 0, 2, 2, 2, &one, a.device, R32F, 2, 4, b.device, R32F, 2, 4, &zero,
                                      c.device, R32F, 2, 4, 0, Compute32F, -1) == StatusSuccess, "batch = 0");
    EXPECT(stub::enqueued(h.stream) == enqueued + 2, "batch = 0 queues nothing");
}

namespace {
// A 4x4x4 f32 product whose operand `bad` ('A', 'B' or 'C'; ' ' for none) is one element short of its range.
std::string out_of_range(char bad, int batch) {
    std::mt19937 rng(6);
    const size_t full = 16 * std::max(1, batch);
    Operand a(R32F, bad == 'A' ? full - 1 : full, rng), b(R32F, bad == 'B' ? full - 1 : full, rng);
    Operand c(R32F, bad == 'C' ? full - 1 : full, rng, 7, false);
    Handle h;
    float one = 1, zero = 0;
    stub::clear_failure();
    int status = batch == 0
        ? cublasGemmEx(h.handle, OpT, OpN, 4, 4, 4, &one, a.device, R32F, 4, b.device, R32F, 4, &zero, c.device, R32F, 4,
                       Compute32F, GemmDefault)
        : cublasGemmStridedBatchedEx(h.handle, OpT, OpN, 4, 4, 4, &one, a.device, R32F, 4, 16, b.device, R32F, 4, 16, &zero,
                                     c.device, R32F, 4, 16, batch, Compute32F, GemmDefault);
    EXPECT(status == StatusSuccess, "the call itself succeeds; the queued work fails (status %d)", status);
    if (bad != ' ')
        for (size_t i = 0; i < c.elements; i++) EXPECT(c.get(i) == 7, "C[%zu] was written although an operand is bad", i);
    return stub::last_failure();
}
}  // namespace

TEST(gemm_operand_outside_device_memory_names_it) {
    for (char bad : {'A', 'B', 'C'}) {
        std::string message = out_of_range(bad, 0);
        std::string operand = std::string("operand ") + bad + " ";
        EXPECT(message.find("cublasGemmEx") != std::string::npos && message.find(operand) != std::string::npos &&
               message.find("4x4") != std::string::npos && message.find("out of bounds by 4 bytes") != std::string::npos,
               "operand %c: message '%s'", bad, message.c_str());
    }
    std::string message = out_of_range('C', 3);  // the third batch of C is 4 bytes short
    EXPECT(message.find("cublasGemmStridedBatchedEx") != std::string::npos && message.find("operand C ") != std::string::npos &&
           message.find("batch 2 of 3") != std::string::npos, "strided: message '%s'", message.c_str());
    EXPECT(out_of_range(' ', 0).empty(), "in-range operands report nothing");
}
