// RMSNorm, one warp per row: y = x / sqrt(mean(x^2) + eps) * gamma. f32 accumulation.
#include "prelude.cuh"

extern "C" __global__ void rmsnorm_forward_f32(const float* x, const float* gamma, float* y, int rows, int dim, float eps)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const float* xr = x + (long long)row * dim;
    float ss = 0.0f;
    for (int i = lane; i < dim; i += 32) ss += xr[i] * xr[i];
    ss = ep_warp_sum(ss);
    float inv = rsqrtf(ss / dim + eps);
    float* yr = y + (long long)row * dim;
    for (int i = lane; i < dim; i += 32) yr[i] = xr[i] * inv * gamma[i];
}
