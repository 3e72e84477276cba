// Rotary position embedding in place on x [batch, tokens, heads, headDim], rotating adjacent pairs
// (2i, 2i+1) by angle pos·theta^(−2i/headDim), pos = startPos + token index. One block per (batch, token)
// row: its threads first compute the cos and sin of each pair's angle in double precision (positions
// times frequencies reach thousands of radians, where an f32 angle would be off by ~1e-3), keep them in
// shared memory, then rotate every head of the row with them in f32. rope_backward rotates by the opposite
// angle (the transpose, and inverse, of the forward rotation): in place on a gradient, it turns
// ∂L/∂rotated into ∂L/∂x.
//
// Launch (both): grid batch·tokens; block 128 threads; dynamic shared memory headDim·4 bytes (headDim/2 cos, headDim/2 sin).
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_rope(T* x, int tokens, int heads, int headDim, int startPos, float theta, bool inverse)
{
    extern __shared__ float ep_rope_shared[];
    int half = headDim / 2;
    float* cosines = ep_rope_shared;
    float* sines = ep_rope_shared + half;
    long long row = blockIdx.x;
    double pos = (double)(startPos + (int)(row % tokens));
    for (int p = threadIdx.x; p < half; p += blockDim.x)
    {
        double frequency = pow((double)theta, -(double)(2 * p) / headDim);
        double s, c;
        sincos(pos * frequency, &s, &c);
        cosines[p] = (float)c;
        sines[p] = inverse ? -(float)s : (float)s;
    }
    __syncthreads();
    T* xr = x + row * heads * headDim;
    int pairs = heads * half;
    for (int idx = threadIdx.x; idx < pairs; idx += blockDim.x)
    {
        int p = idx % half;
        long long o = (long long)(idx / half) * headDim + 2 * p;
        float x0 = ep_load(xr, o), x1 = ep_load(xr, o + 1), c = cosines[p], s = sines[p];
        ep_store(xr, o, x0 * c - x1 * s);
        ep_store(xr, o + 1, x0 * s + x1 * c);
    }
}

extern "C" __global__ void rope_forward_f32(float* x, int tokens, int heads, int headDim, int startPos, float theta)
{
    ep_rope(x, tokens, heads, headDim, startPos, theta, false);
}

extern "C" __global__ void rope_forward_bf16(ep_bf16* x, int tokens, int heads, int headDim, int startPos, float theta)
{
    ep_rope(x, tokens, heads, headDim, startPos, theta, false);
}

extern "C" __global__ void rope_backward_f32(float* x, int tokens, int heads, int headDim, int startPos, float theta)
{
    ep_rope(x, tokens, heads, headDim, startPos, theta, true);
}

extern "C" __global__ void rope_backward_bf16(ep_bf16* x, int tokens, int heads, int headDim, int startPos, float theta)
{
    ep_rope(x, tokens, heads, headDim, startPos, theta, true);
}
