// Activations of the MLP families, elementwise, y = act(x); y may alias x. The formulas are those of
// ActivationMath (GELU erf and tanh forms, ReLU, SiLU), evaluated in f32.
//
// Launch (every kernel here): 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

struct EpGeluErf
{
    __device__ static float apply(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
};

struct EpGeluTanh
{
    __device__ static float apply(float x) { return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x))); }
};

struct EpRelu
{
    __device__ static float apply(float x) { return x > 0.0f ? x : 0.0f; }
};

struct EpSilu
{
    __device__ static float apply(float x) { return x / (1.0f + expf(-x)); }
};

template <typename Op, typename T>
__device__ __forceinline__ void ep_activate(const T* x, T* y, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, Op::apply(ep_load(x, i)));
}

extern "C" __global__ void gelu_erf_forward_f32(const float* x, float* y, long long n) { ep_activate<EpGeluErf>(x, y, n); }
extern "C" __global__ void gelu_erf_forward_bf16(const ep_bf16* x, ep_bf16* y, long long n) { ep_activate<EpGeluErf>(x, y, n); }
extern "C" __global__ void gelu_tanh_forward_f32(const float* x, float* y, long long n) { ep_activate<EpGeluTanh>(x, y, n); }
extern "C" __global__ void gelu_tanh_forward_bf16(const ep_bf16* x, ep_bf16* y, long long n) { ep_activate<EpGeluTanh>(x, y, n); }
extern "C" __global__ void relu_forward_f32(const float* x, float* y, long long n) { ep_activate<EpRelu>(x, y, n); }
extern "C" __global__ void relu_forward_bf16(const ep_bf16* x, ep_bf16* y, long long n) { ep_activate<EpRelu>(x, y, n); }
extern "C" __global__ void silu_forward_f32(const float* x, float* y, long long n) { ep_activate<EpSilu>(x, y, n); }
extern "C" __global__ void silu_forward_bf16(const ep_bf16* x, ep_bf16* y, long long n) { ep_activate<EpSilu>(x, y, n); }
