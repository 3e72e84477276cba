// Prelude of every kernel. Under NVRTC it only defines our bf16 helpers; under clang (the compile
// check that runs without a GPU) it also supplies what the CUDA headers would: the builtin index
// variables, the function qualifiers and the math functions we call.
#pragma once

#if !defined(__CUDACC_RTC__)
#include <__clang_cuda_builtin_vars.h>
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __host__ __attribute__((host))
#define __forceinline__ __attribute__((always_inline))
extern "C" __device__ float expf(float);
extern "C" __device__ float logf(float);
extern "C" __device__ float sqrtf(float);
extern "C" __device__ float rsqrtf(float);
extern "C" __device__ float tanhf(float);
extern "C" __device__ float cosf(float);
extern "C" __device__ float erff(float);
extern "C" __device__ float fmaxf(float, float);
extern "C" __device__ float __shfl_xor_sync(unsigned, float, int, int);
extern "C" __device__ void __syncthreads(void);
__device__ __forceinline__ float __int_as_float(int v) { return __builtin_bit_cast(float, v); }
__device__ __forceinline__ unsigned int __float_as_uint(float v) { return __builtin_bit_cast(unsigned int, v); }
__device__ __forceinline__ float atomicAdd(float* address, float value) { return __nvvm_atom_add_gen_f(address, value); }
extern "C" __device__ double pow(double, double);
extern "C" __device__ void sincos(double, double*, double*);
extern "C" __device__ float __shfl_sync(unsigned, float, int, int);
#endif

typedef unsigned short ep_bf16;

__device__ __forceinline__ float ep_bf16_to_float(ep_bf16 v)
{
    return __int_as_float(((unsigned int)v) << 16);
}

__device__ __forceinline__ ep_bf16 ep_float_to_bf16(float f)
{
    unsigned int bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (ep_bf16)((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (ep_bf16)(bits >> 16);
}

// Sum of v over the 32 lanes of a warp, result in every lane.
__device__ __forceinline__ float ep_warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset, 32);
    return v;
}
