// Element conversion between the storage types f32, bf16 and f16: through f32, rounding to nearest even
// once (as HostCopy on the host). Same-type copies are plain device memcpys and never come here.
//
// Launch (every kernel here): 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

// IEEE half, kept apart from ep_bf16 (both are 16 bits) so that overloads pick the right conversion.
struct ep_f16
{
    unsigned short bits;
};

__device__ __forceinline__ float ep_load(const ep_f16* p, long long i) { return ep_half_bits_to_float(p[i].bits); }
__device__ __forceinline__ void ep_store(ep_f16* p, long long i, float v) { p[i].bits = ep_float_to_half_bits(v); }

template <typename S, typename D>
__device__ __forceinline__ void ep_convert(const S* x, D* y, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n) ep_store(y, i, ep_load(x, i));
}

extern "C" __global__ void convert_f32_to_bf16(const float* x, ep_bf16* y, long long n) { ep_convert(x, y, n); }
extern "C" __global__ void convert_f32_to_f16(const float* x, ep_f16* y, long long n) { ep_convert(x, y, n); }
extern "C" __global__ void convert_bf16_to_f32(const ep_bf16* x, float* y, long long n) { ep_convert(x, y, n); }
extern "C" __global__ void convert_bf16_to_f16(const ep_bf16* x, ep_f16* y, long long n) { ep_convert(x, y, n); }
extern "C" __global__ void convert_f16_to_f32(const ep_f16* x, float* y, long long n) { ep_convert(x, y, n); }
extern "C" __global__ void convert_f16_to_bf16(const ep_f16* x, ep_bf16* y, long long n) { ep_convert(x, y, n); }
