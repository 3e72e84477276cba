// The kernel side of the CUDA emulator: what prelude.cuh's emulation mode includes when the emulated NVRTC
// compiles a kernel file as host C++. It supplies what NVRTC would: the builtin index variables (per emulated
// thread), the function qualifiers, __shared__ memory (per block: thread-local storage of the host thread that
// runs the block), barriers, warp shuffles and votes (rendezvous of the warp's lanes), atomics and the math
// functions. Everything that touches emulated-thread state calls into the emulated libcuda.so.1.
#pragma once

#include "ep_emu_abi.h"

extern "C" {
float expf(float);
float logf(float);
float sqrtf(float);
float tanhf(float);
float cosf(float);
float sinf(float);
float erff(float);
float fmaxf(float, float);
float fminf(float, float);
float fabsf(float);
float powf(float, float);
float floorf(float);
float ceilf(float);
double exp(double);
double log(double);
double sqrt(double);
double pow(double, double);
double ceil(double);
double floor(double);
double fabs(double);
void sincos(double, double*, double*);
void sincosf(float, float*, float*);
}

#define threadIdx (ep_emu_thread()->threadIdx)
#define blockIdx (ep_emu_thread()->blockIdx)
#define blockDim (ep_emu_thread()->blockDim)
#define gridDim (ep_emu_thread()->gridDim)

// In the scan pass the emulated NVRTC leaves __global__ in the text to find the entry points.
#ifndef EP_EMU_SCAN
#define __global__
#endif
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
// Block-scope thread_local is static per host thread; a block runs on one host thread, which clears it first.
#define __shared__ thread_local
#define __align__(n) alignas(n)
#define warpSize 32

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int v) { return __builtin_bit_cast(float, v); }
inline int __float_as_int(float v) { return __builtin_bit_cast(int, v); }
inline float __uint_as_float(unsigned int v) { return __builtin_bit_cast(float, v); }
inline unsigned int __float_as_uint(float v) { return __builtin_bit_cast(unsigned int, v); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }

inline void __syncthreads() { ep_emu_syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ep_emu_vote(3, mask, 1); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline unsigned __ballot_sync(unsigned mask, int predicate) { return ep_emu_vote(0, mask, predicate); }
inline int __any_sync(unsigned mask, int predicate) { return (int)ep_emu_vote(1, mask, predicate); }
inline int __all_sync(unsigned mask, int predicate) { return (int)ep_emu_vote(2, mask, predicate); }
inline void __trap() { ep_emu_trap("__trap()"); }

template <typename T>
inline T ep_emu_shuffle(int kind, unsigned mask, T value, int argument, int width)
{
    static_assert(sizeof(T) <= 8, "a shuffle moves at most 8 bytes");
    unsigned long long bits = 0;
    __builtin_memcpy(&bits, &value, sizeof(T));
    bits = ep_emu_shfl(kind, mask, bits, argument, width);
    T result;
    __builtin_memcpy(&result, &bits, sizeof(T));
    return result;
}
template <typename T> inline T __shfl_sync(unsigned mask, T v, int srcLane, int width = 32) { return ep_emu_shuffle(0, mask, v, srcLane, width); }
template <typename T> inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) { return ep_emu_shuffle(1, mask, v, (int)delta, width); }
template <typename T> inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) { return ep_emu_shuffle(2, mask, v, (int)delta, width); }
template <typename T> inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) { return ep_emu_shuffle(3, mask, v, laneMask, width); }

inline float atomicAdd(float* address, float value) { return ep_emu_atomic_add_f32(address, value); }
inline int atomicAdd(int* address, int value) { return ep_emu_atomic_add_i32(address, value); }
inline unsigned atomicAdd(unsigned* address, unsigned value) { return ep_emu_atomic_add_u32(address, value); }

// IEEE half conversions (what PTX's cvt.f32.f16 and cvt.rn.f16.f32 do), in software.
inline float ep_emu_half_to_float(unsigned short h)
{
    unsigned sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    if (exponent == 0)
    {
        float magnitude = (float)mantissa * 5.9604644775390625e-8f;   // subnormal: mantissa · 2^-24, exact
        return sign ? -magnitude : magnitude;
    }
    unsigned bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13) : sign | ((exponent + 112) << 23) | (mantissa << 13);
    return __builtin_bit_cast(float, bits);
}

inline unsigned short ep_emu_float_to_half(float f)
{
    unsigned x = __builtin_bit_cast(unsigned, f);
    unsigned short sign = (unsigned short)((x >> 16) & 0x8000u);
    unsigned magnitude = x & 0x7fffffffu;
    if (magnitude > 0x7f800000u) return sign | 0x7e00u;          // NaN
    if (magnitude >= 0x477ff000u) return sign | 0x7c00u;         // 65520 and above round to infinity
    if (magnitude < 0x38800000u)                                 // below 2^-14: a subnormal half (or zero)
    {
        float scaled = __builtin_bit_cast(float, magnitude) * 16777216.0f;   // in units of 2^-24, exact
        unsigned r = (unsigned)scaled;
        float rest = scaled - (float)r;
        if (rest > 0.5f || (rest == 0.5f && (r & 1u))) r++;
        return (unsigned short)(sign | r);
    }
    unsigned h = (((magnitude >> 23) - 112u) << 10) | ((magnitude & 0x7fffffu) >> 13);
    unsigned rest = magnitude & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (unsigned short)(sign | h);
}
