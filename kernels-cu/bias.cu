// Bias of a linear layer, broadcast over rows: y[r, j] = bias[j] for y [rows, cols]. The GEMM then adds
// x·wᵀ onto it with beta = 1, so a bf16 output is rounded once, after the bias is in.
//
// Launch: 1-D grid-stride loop over rows·cols; block 256 threads, grid min(ceil(rows·cols/256), 16·SMs).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_bias_broadcast(const T* bias, T* y, long long count, int cols)
{
    EP_GRID_STRIDE_LOOP(i, count) y[i] = bias[i % cols];
}

extern "C" __global__ void bias_broadcast_f32(const float* bias, float* y, long long count, int cols)
{
    ep_bias_broadcast(bias, y, count, cols);
}

extern "C" __global__ void bias_broadcast_bf16(const ep_bf16* bias, ep_bf16* y, long long count, int cols)
{
    ep_bias_broadcast(bias, y, count, cols);
}
