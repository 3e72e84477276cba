// LayerNorm, one warp per row, two passes over the row (mean, then centred variance). f32 accumulation.
#include "prelude.cuh"

extern "C" __global__ void layernorm_forward_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                 int rows, int dim, float eps)
{
    int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
    int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const float* xr = x + (long long)row * dim;
    float sum = 0.0f;
    for (int i = lane; i < dim; i += 32) sum += xr[i];
    float mean = ep_warp_sum(sum) / dim;
    float var = 0.0f;
    for (int i = lane; i < dim; i += 32) { float t = xr[i] - mean; var += t * t; }
    float inv = rsqrtf(ep_warp_sum(var) / dim + eps);
    float* yr = y + (long long)row * dim;
    for (int i = lane; i < dim; i += 32) yr[i] = (xr[i] - mean) * inv * gamma[i] + (beta ? beta[i] : 0.0f);
}
