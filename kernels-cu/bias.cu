// Bias of a linear layer, broadcast over rows: y[r, j] = bias[j] for y [rows, cols]. The GEMM then adds
// x·wᵀ onto it with beta = 1, so a bf16 output is rounded once, after the bias is in.
//
// Launch (both kernels): 1-D grid-stride loop over the count elements of y; block 256 threads, grid
// min(ceil(count/256), 16·SMs).
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

// Batched bias of B linear layers: y[b, r, j] = bias[b, j] for y [B, rows, cols] and bias [B, cols], with
// matrix = rows·cols. The strided-batched GEMM then adds x[b]·w[b]ᵀ onto it with beta = 1.
template <typename T>
__device__ __forceinline__ void ep_bias_broadcast_batched(const T* bias, T* y, long long count, long long matrix, int cols)
{
    EP_GRID_STRIDE_LOOP(i, count) y[i] = bias[(i / matrix) * cols + i % cols];
}

extern "C" __global__ void bias_broadcast_batched_f32(const float* bias, float* y, long long count, long long matrix, int cols)
{
    ep_bias_broadcast_batched(bias, y, count, matrix, cols);
}

extern "C" __global__ void bias_broadcast_batched_bf16(const ep_bf16* bias, ep_bf16* y, long long count, long long matrix, int cols)
{
    ep_bias_broadcast_batched(bias, y, count, matrix, cols);
}
