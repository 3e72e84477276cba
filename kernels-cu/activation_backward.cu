// Backward of the MLP activations, elementwise: dx += dy·act′(x), in f32. The derivatives are those of
// ActivationGradients.Derivative (GELU erf and tanh forms, ReLU with 0 at 0, SiLU); dx may alias dy.
//
// Launch (every kernel here): 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

struct EpGeluErfDerivative
{
    __device__ static float apply(float x)
    {
        return 0.5f * (1.0f + erff(x * 0.70710678118654752f)) + x * expf(-0.5f * x * x) * 0.3989422804014327f;
    }
};

struct EpGeluTanhDerivative
{
    __device__ static float apply(float x)
    {
        float t = tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x));
        float du = 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * x * x);
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
    }
};

struct EpReluDerivative
{
    __device__ static float apply(float x) { return x > 0.0f ? 1.0f : 0.0f; }
};

struct EpSiluDerivative
{
    __device__ static float apply(float x)
    {
        float s = 1.0f / (1.0f + expf(-x));
        return s * (1.0f + x * (1.0f - s));
    }
};

template <typename Op, typename T>
__device__ __forceinline__ void ep_activation_backward(const T* x, const T* dy, T* dx, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(dx, i, ep_load(dx, i) + ep_load(dy, i) * Op::apply(ep_load(x, i)));
}

extern "C" __global__ void gelu_erf_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    ep_activation_backward<EpGeluErfDerivative>(x, dy, dx, n);
}

extern "C" __global__ void gelu_erf_backward_bf16(const ep_bf16* x, const ep_bf16* dy, ep_bf16* dx, long long n)
{
    ep_activation_backward<EpGeluErfDerivative>(x, dy, dx, n);
}

extern "C" __global__ void gelu_tanh_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    ep_activation_backward<EpGeluTanhDerivative>(x, dy, dx, n);
}

extern "C" __global__ void gelu_tanh_backward_bf16(const ep_bf16* x, const ep_bf16* dy, ep_bf16* dx, long long n)
{
    ep_activation_backward<EpGeluTanhDerivative>(x, dy, dx, n);
}

extern "C" __global__ void relu_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    ep_activation_backward<EpReluDerivative>(x, dy, dx, n);
}

extern "C" __global__ void relu_backward_bf16(const ep_bf16* x, const ep_bf16* dy, ep_bf16* dx, long long n)
{
    ep_activation_backward<EpReluDerivative>(x, dy, dx, n);
}

extern "C" __global__ void silu_backward_f32(const float* x, const float* dy, float* dx, long long n)
{
    ep_activation_backward<EpSiluDerivative>(x, dy, dx, n);
}

extern "C" __global__ void silu_backward_bf16(const ep_bf16* x, const ep_bf16* dy, ep_bf16* dx, long long n)
{
    ep_activation_backward<EpSiluDerivative>(x, dy, dx, n);
}
