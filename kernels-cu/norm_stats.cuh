// Row statistics of LayerNorm as the forward and the backward kernels both compute them, so that a backward
// recomputes exactly the forward's values: one warp per row, two passes (mean, then centred variance), f32
// accumulation, rstd = rsqrt(var + eps).
#pragma once
#ifndef EP_NORM_STATS_CUH
#define EP_NORM_STATS_CUH
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_layernorm_stats(const T* xr, int dim, float eps, int lane, float* mean, float* rstd)
{
    float sum = 0.0f;
    for (int i = lane; i < dim; i += 32) sum += ep_load(xr, i);
    float m = ep_warp_sum(sum) / dim;
    float var = 0.0f;
    for (int i = lane; i < dim; i += 32)
    {
        float t = ep_load(xr, i) - m;
        var += t * t;
    }
    *mean = m;
    *rstd = rsqrtf(ep_warp_sum(var) / dim + eps);
}

#endif
