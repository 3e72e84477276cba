// Hard-concrete masks (Louizos et al.; constants of Edge Pruning's l0.py): the sampled mask and the
// gradient into its log alpha. Elementwise; launch with 256 threads per block and enough blocks to cover
// n (grid-stride loop, so any grid size is correct).
#include "prelude.cuh"

#define EP_HC_LEFT (-0.1f)
#define EP_HC_RIGHT 1.1f
#define EP_HC_BETA (2.0f / 3.0f)

__device__ __forceinline__ float ep_sigmoid(float x)
{
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

// s = σ((log u − log(1−u) + logα)/β); returns l + (r−l)·s.
__device__ __forceinline__ float ep_hc_stretched(float logAlpha, float u, float* s)
{
    *s = ep_sigmoid((logf(u) - logf(1.0f - u) + logAlpha) / EP_HC_BETA);
    return EP_HC_LEFT + (EP_HC_RIGHT - EP_HC_LEFT) * *s;
}

// z[i] = clamp(stretched, 0, 1).
extern "C" __global__ void hard_concrete_forward(const float* logAlpha, const float* u, float* z, long long n)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float s;
        float t = ep_hc_stretched(logAlpha[i], u[i], &s);
        z[i] = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    }
}

// dLogAlpha[i] += dz[i]·(r−l)·s(1−s)/β where 0 < stretched < 1 (the clamp is flat elsewhere).
extern "C" __global__ void hard_concrete_backward(const float* logAlpha, const float* u, const float* dz, float* dLogAlpha, long long n)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float s;
        float t = ep_hc_stretched(logAlpha[i], u[i], &s);
        if (t > 0.0f && t < 1.0f) dLogAlpha[i] += dz[i] * (EP_HC_RIGHT - EP_HC_LEFT) * s * (1.0f - s) / EP_HC_BETA;
    }
}
