// Residual addition y = a + b, elementwise, in f32 (one rounding for bf16); y may alias either input.
//
// Launch: 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_add(const T* a, const T* b, T* y, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, ep_load(a, i) + ep_load(b, i));
}

extern "C" __global__ void add_forward_f32(const float* a, const float* b, float* y, long long n) { ep_add(a, b, y, n); }
extern "C" __global__ void add_forward_bf16(const ep_bf16* a, const ep_bf16* b, ep_bf16* y, long long n) { ep_add(a, b, y, n); }
