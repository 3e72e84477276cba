// SwiGLU gate: y = silu(gate) * up, elementwise; y may alias either input.
#include "prelude.cuh"

extern "C" __global__ void swiglu_forward_f32(const float* gate, const float* up, float* y, long long n)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float g = gate[i];
        y[i] = g / (1.0f + expf(-g)) * up[i];
    }
}
