// Seeded normal values from a counter-based hash: element i of a fill with seed s depends on (s, i) only,
// so every backend and every launch shape draws the same values (RandomNormal.cs is the host twin).
// h = mix64(s·φ + i) with φ = 0x9E3779B97F4A7C15 and mix64 SplitMix64's finalizer; u1 = (h[63:40] + 1)/2²⁴
// in (0, 1], u2 = h[39:16]/2²⁴ in [0, 1); x = std·sqrt(−2 ln u1)·cos(2π u2) (Box–Muller, one value per i).
//
// Mask noise (the hard-concrete uniforms; MaskNoise.cs is the host twin, equal bit for bit): k = h[63:41] with
// h = mix64(s·φ + i), u = (2k + 1)/2²⁴, the centre of one of 2²³ equal cells of (0, 1), every step exact in f32;
// then clamped to [low, high].
//
// Launch: 1-D grid-stride loop; block 256 threads, grid min(ceil(n/256), 16·SMs).
#include "element.cuh"

__device__ __forceinline__ unsigned long long ep_mix64(unsigned long long z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

template <typename T>
__device__ __forceinline__ void ep_random_normal(T* x, float stddev, unsigned long long seed, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n)
    {
        unsigned long long h = ep_mix64(seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)i);
        float u1 = ((float)(h >> 40) + 1.0f) * (1.0f / 16777216.0f);
        float u2 = (float)((h >> 16) & 0xFFFFFFULL) * (1.0f / 16777216.0f);
        ep_store(x, i, stddev * sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2));
    }
}

extern "C" __global__ void random_normal_f32(float* x, float stddev, unsigned long long seed, long long n) { ep_random_normal(x, stddev, seed, n); }
extern "C" __global__ void random_normal_bf16(ep_bf16* x, float stddev, unsigned long long seed, long long n) { ep_random_normal(x, stddev, seed, n); }

extern "C" __global__ void random_mask_noise_f32(float* u, unsigned long long seed, float low, float high, long long n)
{
    EP_GRID_STRIDE_LOOP(i, n)
    {
        unsigned long long h = ep_mix64(seed * 0x9E3779B97F4A7C15ULL + (unsigned long long)i);
        float v = (float)(2u * (unsigned int)(h >> 41) + 1u) * (1.0f / 16777216.0f);
        u[i] = v < low ? low : (v > high ? high : v);
    }
}
