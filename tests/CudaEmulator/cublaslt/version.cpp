// The emulated cuBLASLt: only the version queries the engine makes (cuBLAS is loaded as a pair with it).
#include <stddef.h>

// cuBLASLt 12.8.0, matching the emulated cuBLAS's cublasGetProperty; built against CUDA runtime 12.8.
extern "C" __attribute__((visibility("default"))) size_t cublasLtGetVersion(void) { return 120800; }
extern "C" __attribute__((visibility("default"))) size_t cublasLtGetCudartVersion(void) { return 12080; }
