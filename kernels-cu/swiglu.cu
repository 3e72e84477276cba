// SwiGLU gate: y = silu(gate)·up, elementwise, in f32; y may alias either input.
//
// Launch: 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_swiglu(const T* gate, const T* up, T* y, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n)
    {
        float g = ep_load(gate, i);
        ep_store(y, i, g / (1.0f + expf(-g)) * ep_load(up, i));
    }
}

extern "C" __global__ void swiglu_forward_f32(const float* gate, const float* up, float* y, long long n) { ep_swiglu(gate, up, y, n); }
extern "C" __global__ void swiglu_forward_bf16(const ep_bf16* gate, const ep_bf16* up, ep_bf16* y, long long n) { ep_swiglu(gate, up, y, n); }
