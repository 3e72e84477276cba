// Vector updates of a backward pass, elementwise in f32: x = value (fill), y = alpha·x (scale; y may be x),
// y += alpha·x (axpy), and y = a·x or y += a·x row by row with a = alpha·factor[row] read on the device (scale
// by: node masks that stay on the device, so the launch does not depend on their values; rows of `cols` elements).
//
// Launch (every kernel here): 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_fill(T* x, float value, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(x, i, value);
}

template <typename T>
__device__ __forceinline__ void ep_scale(const T* x, T* y, float alpha, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, alpha * ep_load(x, i));
}

template <typename T>
__device__ __forceinline__ void ep_axpy(const T* x, T* y, float alpha, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, ep_load(y, i) + alpha * ep_load(x, i));
}

template <typename T>
__device__ __forceinline__ void ep_scale_by(const T* x, T* y, const float* factor, float alpha, int accumulate, long long n,
                                            long long cols)
{
    if (accumulate)
    {
        EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, ep_load(y, i) + (alpha * factor[i / cols]) * ep_load(x, i));
    }
    else
    {
        EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, (alpha * factor[i / cols]) * ep_load(x, i));
    }
}

extern "C" __global__ void vector_fill_f32(float* x, float value, long long n) { ep_fill(x, value, n); }
extern "C" __global__ void vector_fill_bf16(ep_bf16* x, float value, long long n) { ep_fill(x, value, n); }
extern "C" __global__ void vector_scale_f32(const float* x, float* y, float alpha, long long n) { ep_scale(x, y, alpha, n); }
extern "C" __global__ void vector_scale_bf16(const ep_bf16* x, ep_bf16* y, float alpha, long long n) { ep_scale(x, y, alpha, n); }
extern "C" __global__ void vector_axpy_f32(const float* x, float* y, float alpha, long long n) { ep_axpy(x, y, alpha, n); }
extern "C" __global__ void vector_axpy_bf16(const ep_bf16* x, ep_bf16* y, float alpha, long long n) { ep_axpy(x, y, alpha, n); }
extern "C" __global__ void vector_scale_by_f32(const float* x, float* y, const float* factor, float alpha, int accumulate, long long n,
                                                long long cols)
{
    ep_scale_by(x, y, factor, alpha, accumulate, n, cols);
}
extern "C" __global__ void vector_scale_by_bf16(const ep_bf16* x, ep_bf16* y, const float* factor, float alpha, int accumulate,
                                                 long long n, long long cols)
{
    ep_scale_by(x, y, factor, alpha, accumulate, n, cols);
}
