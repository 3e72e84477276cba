// Backward of LayerNorm and RMSNorm per row with frozen gamma, adding into dx (the math of
// NormGradients): with g = dy·gamma and x̂ = (x − mean)·rstd,
//   layernorm: dx += rstd·(g − mean(g) − x̂·mean(g·x̂))
//   rmsnorm:   dx += rstd·g − x·rstd³·mean(g·x)
// The statistics are recomputed as the forward kernels compute them: one warp per row, two passes (mean,
// then centred variance), f32 accumulation. dx may alias dy: each lane reads its elements of dy for the
// last time before it writes them.
//
// Launch: block 256 threads (8 rows), grid ceil(rows/8).
#include "norm_stats.cuh"

template <typename T>
__device__ __forceinline__ void ep_layernorm_backward(const T* x, const T* gamma, const T* dy, T* dx, int rows, int dim, float eps)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const T* xr = x + (long long)row * dim;
    const T* gr = dy + (long long)row * dim;
    T* dr = dx + (long long)row * dim;
    float mean, inv;
    ep_layernorm_stats(xr, dim, eps, lane, &mean, &inv);
    float sumG = 0.0f, sumGx = 0.0f;
    for (int i = lane; i < dim; i += 32)
    {
        float g = ep_load(gr, i) * ep_load(gamma, i);
        sumG += g;
        sumGx += g * (ep_load(xr, i) - mean) * inv;
    }
    float meanG = ep_warp_sum(sumG) / dim;
    float meanGx = ep_warp_sum(sumGx) / dim;
    for (int i = lane; i < dim; i += 32)
    {
        float g = ep_load(gr, i) * ep_load(gamma, i);
        float xhat = (ep_load(xr, i) - mean) * inv;
        ep_store(dr, i, ep_load(dr, i) + inv * (g - meanG - xhat * meanGx));
    }
}

template <typename T>
__device__ __forceinline__ void ep_rmsnorm_backward(const T* x, const T* gamma, const T* dy, T* dx, int rows, int dim, float eps)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const T* xr = x + (long long)row * dim;
    const T* gr = dy + (long long)row * dim;
    T* dr = dx + (long long)row * dim;
    float ss = 0.0f, sumGx = 0.0f;
    for (int i = lane; i < dim; i += 32)
    {
        float v = ep_load(xr, i);
        ss += v * v;
        sumGx += ep_load(gr, i) * ep_load(gamma, i) * v;
    }
    float inv = rsqrtf(ep_warp_sum(ss) / dim + eps);
    float k = inv * inv * inv * ep_warp_sum(sumGx) / dim;
    for (int i = lane; i < dim; i += 32)
        ep_store(dr, i, ep_load(dr, i) + inv * ep_load(gr, i) * ep_load(gamma, i) - ep_load(xr, i) * k);
}

extern "C" __global__ void layernorm_backward_f32(const float* x, const float* gamma, const float* dy, float* dx,
                                                  int rows, int dim, float eps)
{
    ep_layernorm_backward(x, gamma, dy, dx, rows, dim, eps);
}

extern "C" __global__ void layernorm_backward_bf16(const ep_bf16* x, const ep_bf16* gamma, const ep_bf16* dy, ep_bf16* dx,
                                                   int rows, int dim, float eps)
{
    ep_layernorm_backward(x, gamma, dy, dx, rows, dim, eps);
}

extern "C" __global__ void rmsnorm_backward_f32(const float* x, const float* gamma, const float* dy, float* dx,
                                                int rows, int dim, float eps)
{
    ep_rmsnorm_backward(x, gamma, dy, dx, rows, dim, eps);
}

extern "C" __global__ void rmsnorm_backward_bf16(const ep_bf16* x, const ep_bf16* gamma, const ep_bf16* dy, ep_bf16* dx,
                                                 int rows, int dim, float eps)
{
    ep_rmsnorm_backward(x, gamma, dy, dx, rows, dim, eps);
}
