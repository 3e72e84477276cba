// LayerNorm per row, y = (x − mean)/sqrt(var + eps)·gamma + beta (beta optional), one warp per row, two
// passes over the row (mean, then centred variance) and f32 accumulation. y may alias x: each lane reads
// its elements for the last time before it writes them.
//
// Launch: block 256 threads (8 rows), grid ceil(rows/8).
#include "norm_stats.cuh"

template <typename T>
__device__ __forceinline__ void ep_layernorm(const T* x, const T* gamma, const T* beta, T* y, int rows, int dim, float eps)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const T* xr = x + (long long)row * dim;
    float mean, inv;
    ep_layernorm_stats(xr, dim, eps, lane, &mean, &inv);
    T* yr = y + (long long)row * dim;
    for (int i = lane; i < dim; i += 32)
        ep_store(yr, i, (ep_load(xr, i) - mean) * inv * ep_load(gamma, i) + (beta ? ep_load(beta, i) : 0.0f));
}

extern "C" __global__ void layernorm_forward_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                 int rows, int dim, float eps)
{
    ep_layernorm(x, gamma, beta, y, rows, dim, eps);
}

extern "C" __global__ void layernorm_forward_bf16(const ep_bf16* x, const ep_bf16* gamma, const ep_bf16* beta, ep_bf16* y,
                                                  int rows, int dim, float eps)
{
    ep_layernorm(x, gamma, beta, y, rows, dim, eps);
}
