// RMSNorm per row, y = x / sqrt(mean(x²) + eps)·gamma, one warp per row, f32 accumulation. y may alias x.
//
// Launch: block 256 threads (8 rows), grid ceil(rows/8).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_rmsnorm(const T* x, const T* gamma, T* y, int rows, int dim, float eps)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const T* xr = x + (long long)row * dim;
    float ss = 0.0f;
    for (int i = lane; i < dim; i += 32)
    {
        float v = ep_load(xr, i);
        ss += v * v;
    }
    float inv = rsqrtf(ep_warp_sum(ss) / dim + eps);
    T* yr = y + (long long)row * dim;
    for (int i = lane; i < dim; i += 32) ep_store(yr, i, ep_load(xr, i) * inv * ep_load(gamma, i));
}

extern "C" __global__ void rmsnorm_forward_f32(const float* x, const float* gamma, float* y, int rows, int dim, float eps)
{
    ep_rmsnorm(x, gamma, y, rows, dim, eps);
}

extern "C" __global__ void rmsnorm_forward_bf16(const ep_bf16* x, const ep_bf16* gamma, ep_bf16* y, int rows, int dim, float eps)
{
    ep_rmsnorm(x, gamma, y, rows, dim, eps);
}
