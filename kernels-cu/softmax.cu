// Row softmax in place over rows of any length: one block per row. Pass 1 keeps a running maximum and
// a running sum of exp(x − max) per thread (rescaled when the maximum grows), merged across the warp and
// the block; pass 2 writes exp(x − max)/sum. A row of −∞ only (fully masked) becomes zeros.
//
// Launch: grid rows; block min(1024, cols rounded up to 32) threads (a multiple of 32); no dynamic shared memory.
#include "element.cuh"

// (m, s) ← (m, s) ⊕ (m2, s2): the pair for the union of two sets of values. Symmetric, so butterfly
// merges leave every lane with the same bits.
__device__ __forceinline__ void ep_softmax_merge(float& m, float& s, float m2, float s2)
{
    float mNew = fmaxf(m, m2);
    s = mNew == EP_NEG_INF ? 0.0f : s * expf(m - mNew) + s2 * expf(m2 - mNew);
    m = mNew;
}

template <typename T>
__device__ __forceinline__ void ep_softmax(T* x, int cols)
{
    __shared__ float maxes[32];
    __shared__ float sums[32];
    T* row = x + (long long)blockIdx.x * cols;
    float m = EP_NEG_INF, s = 0.0f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x)
    {
        float v = ep_load(row, i);
        if (v > m)
        {
            s = s * expf(m - v) + 1.0f;
            m = v;
        }
        else if (v != EP_NEG_INF)
        {
            s += expf(v - m);
        }
    }
    for (int offset = 16; offset > 0; offset >>= 1)
        ep_softmax_merge(m, s, __shfl_xor_sync(0xffffffffu, m, offset, 32), __shfl_xor_sync(0xffffffffu, s, offset, 32));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    if (lane == 0)
    {
        maxes[warp] = m;
        sums[warp] = s;
    }
    __syncthreads();
    m = lane < warps ? maxes[lane] : EP_NEG_INF;
    s = lane < warps ? sums[lane] : 0.0f;
    for (int offset = 16; offset > 0; offset >>= 1)
        ep_softmax_merge(m, s, __shfl_xor_sync(0xffffffffu, m, offset, 32), __shfl_xor_sync(0xffffffffu, s, offset, 32));
    if (m == EP_NEG_INF)
    {
        for (int i = threadIdx.x; i < cols; i += blockDim.x) ep_store(row, i, 0.0f);
        return;
    }
    float inv = 1.0f / s;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) ep_store(row, i, expf(ep_load(row, i) - m) * inv);
}

extern "C" __global__ void softmax_forward_f32(float* x, int cols) { ep_softmax(x, cols); }
extern "C" __global__ void softmax_forward_bf16(ep_bf16* x, int cols) { ep_softmax(x, cols); }
