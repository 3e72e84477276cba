// The emulated cuBLAS's handle calls (create, destroy, stream, workspace, math mode), its version and status
// names, and the registry of live handles that lets a call on a destroyed handle fail instead of crashing.
#include <mutex>
#include <stdarg.h>
#include <stdio.h>
#include <unordered_set>

#include "cublas_internal.h"
#include "ep_emu_host.h"

namespace ep_cublas {

namespace {
std::mutex registry_mutex;
std::unordered_set<Handle*>& registry() {
    static auto* handles = new std::unordered_set<Handle*>();  // never destroyed: calls may come during exit
    return *handles;
}
}  // namespace

Handle* live_handle(void* h) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto* handle = static_cast<Handle*>(h);
    return registry().count(handle) ? handle : nullptr;
}

Status reject(Status status, const char* call, const char* format, ...) {
    char message[512];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    fprintf(stderr, "cuBLAS emulator: %s: %s\n", call, message);
    return status;
}

}  // namespace ep_cublas

using namespace ep_cublas;

EP_CUBLAS_API int cublasCreate_v2(void** handle) {
    if (!handle) return reject(kInvalidValue, "cublasCreate_v2", "handle pointer is null");
    // cuBLAS binds a handle to the current device; with no current context, initialization fails.
    int device = ep_emu_current_device();
    if (device < 0) return reject(kNotInitialized, "cublasCreate_v2", "no CUDA context is current on this thread");
    auto* h = new Handle{nullptr, 0, 0, kDefaultMath, device};
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry().insert(h);
    *handle = h;
    return kSuccess;
}

EP_CUBLAS_API int cublasDestroy_v2(void* handle) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto* h = static_cast<Handle*>(handle);
    if (!registry().erase(h)) return reject(kNotInitialized, "cublasDestroy_v2", "%p is not a live handle", handle);
    // Queued GEMMs hold copies of everything they need, so the handle can go before they run.
    delete h;
    return kSuccess;
}

EP_CUBLAS_API int cublasSetStream_v2(void* handle, void* stream) {
    Handle* h = live_handle(handle);
    if (!h) return reject(kNotInitialized, "cublasSetStream_v2", "%p is not a live handle", handle);
    h->stream = stream;
    // As documented for cuBLAS 12: setting the stream resets a user workspace to the default pool.
    h->workspace = 0;
    h->workspace_bytes = 0;
    return kSuccess;
}

EP_CUBLAS_API int cublasSetWorkspace_v2(void* handle, void* workspace, size_t bytes) {
    const char* call = "cublasSetWorkspace_v2";
    Handle* h = live_handle(handle);
    if (!h) return reject(kNotInitialized, call, "%p is not a live handle", handle);
    auto address = (uint64_t)(uintptr_t)workspace;
    if (address % 256 != 0) return reject(kInvalidValue, call, "workspace %p is not aligned to 256 bytes", workspace);
    if (bytes > 0) {
        char why[256] = "";
        if (!workspace) return reject(kInvalidValue, call, "workspace is null but its size is %zu bytes", bytes);
        if (!ep_emu_check_range(address, bytes, why, sizeof why))
            return reject(kInvalidValue, call, "workspace %p + %zu bytes is not device memory: %s", workspace, bytes, why);
    }
    h->workspace = bytes > 0 ? address : 0;
    h->workspace_bytes = bytes > 0 ? bytes : 0;
    return kSuccess;
}

EP_CUBLAS_API int cublasSetMathMode(void* handle, int mode) {
    Handle* h = live_handle(handle);
    if (!h) return reject(kNotInitialized, "cublasSetMathMode", "%p is not a live handle", handle);
    int base = mode & ~kDisallowReducedPrecisionReduction;
    if (base < kDefaultMath || base > kTf32TensorOpMath)
        return reject(kInvalidValue, "cublasSetMathMode", "math mode %d is not a cublasMath_t", mode);
    h->math_mode = mode;
    return kSuccess;
}

EP_CUBLAS_API int cublasGetProperty(int type, int* value) {
    if (!value) return reject(kInvalidValue, "cublasGetProperty", "value pointer is null");
    switch (type) {  // libraryPropertyType: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
        case 0: *value = kVersionMajor; return kSuccess;
        case 1: *value = kVersionMinor; return kSuccess;
        case 2: *value = kVersionPatch; return kSuccess;
        default: return reject(kInvalidValue, "cublasGetProperty", "property type %d is not a libraryPropertyType", type);
    }
}

EP_CUBLAS_API const char* cublasGetStatusName(int status) {
    switch (status) {
        case kSuccess: return "CUBLAS_STATUS_SUCCESS";
        case kNotInitialized: return "CUBLAS_STATUS_NOT_INITIALIZED";
        case kAllocFailed: return "CUBLAS_STATUS_ALLOC_FAILED";
        case kInvalidValue: return "CUBLAS_STATUS_INVALID_VALUE";
        case kArchMismatch: return "CUBLAS_STATUS_ARCH_MISMATCH";
        case kMappingError: return "CUBLAS_STATUS_MAPPING_ERROR";
        case kExecutionFailed: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case kInternalError: return "CUBLAS_STATUS_INTERNAL_ERROR";
        case kNotSupported: return "CUBLAS_STATUS_NOT_SUPPORTED";
        case kLicenseError: return "CUBLAS_STATUS_LICENSE_ERROR";
        default: return "<unknown>";
    }
}
