// Prelude of every kernel, in three modes. Under NVRTC it only defines our bf16 helpers. Under clang
// (the compile check that runs without a GPU) it also supplies what the CUDA headers would: the builtin
// index variables, the function qualifiers and the math functions we call. Under the CUDA emulator's
// NVRTC (EP_CUDA_EMULATION: the same file compiled as host C++) the emulator's device header supplies
// them, with every GPU thread a fiber (tests/CudaEmulator).
#pragma once

#if defined(EP_CUDA_EMULATION)
#include "ep_emu_device.h"
#elif !defined(__CUDACC_RTC__)
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
extern "C" __device__ double exp(double);
extern "C" __device__ double log(double);
extern "C" __device__ double sqrt(double);
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

// IEEE half to and from f32 (rounding to nearest even), by bits: PTX's conversions on a GPU, the emulator's in software.
#if defined(EP_CUDA_EMULATION)
__device__ __forceinline__ float ep_half_bits_to_float(unsigned short h) { return ep_emu_half_to_float(h); }
__device__ __forceinline__ unsigned short ep_float_to_half_bits(float v) { return ep_emu_float_to_half(v); }
#else
__device__ __forceinline__ float ep_half_bits_to_float(unsigned short h)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
__device__ __forceinline__ unsigned short ep_float_to_half_bits(float v)
{
    unsigned short bits;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(bits) : "f"(v));
    return bits;
}
#endif

// Sum of v over the 32 lanes of a warp, result in every lane.
__device__ __forceinline__ float ep_warp_sum(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset, 32);
    return v;
}
