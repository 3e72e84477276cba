// Backward of the SwiGLU gate y = silu(gate)·up, elementwise in f32 (the math of
// ActivationGradients.SwiGluBackward): with s = sigmoid(gate),
//   dGate += dy·up·s·(1 + gate·(1 − s)),  dUp += dy·gate·s.
// Either gradient may be null (not wanted).
//
// Launch: 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_swiglu_backward(const T* gate, const T* up, const T* dy, T* dGate, T* dUp, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n)
    {
        float x = ep_load(gate, i);
        float g = ep_load(dy, i);
        float s = 1.0f / (1.0f + expf(-x));
        if (dGate) ep_store(dGate, i, ep_load(dGate, i) + g * ep_load(up, i) * s * (1.0f + x * (1.0f - s)));
        if (dUp) ep_store(dUp, i, ep_load(dUp, i) + g * x * s);
    }
}

extern "C" __global__ void swiglu_backward_f32(const float* gate, const float* up, const float* dy, float* dGate, float* dUp,
                                               long long n)
{
    ep_swiglu_backward(gate, up, dy, dGate, dUp, n);
}

extern "C" __global__ void swiglu_backward_bf16(const ep_bf16* gate, const ep_bf16* up, const ep_bf16* dy, ep_bf16* dGate,
                                                ep_bf16* dUp, long long n)
{
    ep_swiglu_backward(gate, up, dy, dGate, dUp, n);
}
