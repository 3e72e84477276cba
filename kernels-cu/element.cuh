// Element access for kernels templated over the storage type: f32 (float) or bf16 (ep_bf16). Values are
// read into f32 and written back rounded to nearest even, so every kernel computes and accumulates in f32.
// Include guards as well as #pragma once: every kernel includes the prelude through this header exactly once.
#pragma once
#ifndef EP_ELEMENT_CUH
#define EP_ELEMENT_CUH
#include "prelude.cuh"

__device__ __forceinline__ float ep_load(const float* p, long long i) { return p[i]; }
__device__ __forceinline__ float ep_load(const ep_bf16* p, long long i) { return ep_bf16_to_float(p[i]); }
__device__ __forceinline__ void ep_store(float* p, long long i, float v) { p[i] = v; }
__device__ __forceinline__ void ep_store(ep_bf16* p, long long i, float v) { p[i] = ep_float_to_bf16(v); }

__device__ __forceinline__ int ep_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int ep_max(int a, int b) { return a > b ? a : b; }

// −∞ without the toolkit's INFINITY macro (not defined under NVRTC without headers).
#define EP_NEG_INF (__int_as_float((int)0xff800000u))

// First element of the grid-stride loop over n elements and its stride (kernels launched with a 1-D grid).
#define EP_GRID_STRIDE_LOOP(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

#endif
