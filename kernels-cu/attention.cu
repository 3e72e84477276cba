// Multi-head attention with grouped keys/values, the semantics of ReferenceKernels.Attention:
//   q [B,T,H,dk], k [B,Smax,KV,dk], v [B,Smax,KV,dv], out [B,T,H,dv]; query head h reads KV head h/(H/KV);
//   only key positions 0..keyCount−1 exist; with causal, query t (at position queryStart+t) sees keys
//   0..queryStart+t; mask [B,Smax] (0 hides a key; null for none); a query that sees no key outputs zeros.
// Both paths give each warp one query row and each lane one key of a 32-key tile (scores) or a slice of
// the value dimensions (output, dv ≤ 256). Key and value tiles are staged in shared memory in f32 and
// shared by all the block's queries, which read the same KV head. All accumulation is f32.
//   attention_short_*: the scores of the block's queries against every key they see stay in shared memory;
//     softmax is exact (one maximum per row), then a second sweep over value tiles forms the output.
//   attention_long_*: flash-style online softmax: one sweep over key tiles keeps per row a running maximum,
//     a running sum and the output accumulator (rescaled when the maximum grows); shared memory does not
//     depend on the key count.
#include "attention.cuh"

// acc[c] += p · values[j, lane + 32c] for the lane's slice of the value dimensions.
__device__ __forceinline__ void ep_attention_accumulate(float* acc, float p, const float* valueRow, int lane, int valueDim)
{
#pragma unroll
    for (int c = 0; c < EP_VALUE_CHUNKS; c++)
    {
        int d = lane + 32 * c;
        if (d < valueDim) acc[c] += p * valueRow[d];
    }
}

template <typename T>
__device__ __forceinline__ void ep_attention_store(T* out, const float* acc, float factor, int b, int t, int h, int lane,
                                                   int queries, int heads, int valueDim)
{
    if (t >= queries) return;
    T* row = out + (((long long)b * queries + t) * heads + h) * valueDim;
#pragma unroll
    for (int c = 0; c < EP_VALUE_CHUNKS; c++)
    {
        int d = lane + 32 * c;
        if (d < valueDim) ep_store(row, d, acc[c] * factor);
    }
}

// Launch: grid (ceil(T/W), H, B) with W = min(8, T) warps per block, block 32·W threads (warp w: query t0+w);
// dynamic shared memory 4·(W·dk + 32·max(dk+1, dv) + W·keyCount) bytes: queries, one key or value tile,
// the score rows. Chosen by the host when that is at most 48 KiB and keyCount ≤ 512.
template <typename T>
__device__ __forceinline__ void ep_attention_short(const T* q, const T* k, const T* v, T* out, const int* mask,
                                                   int queries, int heads, int kvHeads, int maxKeys, int keyDim, int valueDim,
                                                   int keyCount, int queryStart, int causal, float scale)
{
    extern __shared__ float ep_attention_shared[];
    int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int t0 = blockIdx.x * warps, h = blockIdx.y, b = blockIdx.z, kvh = h / (heads / kvHeads), t = t0 + warp;
    int rowLast = ep_attention_last_key(t, queries, keyCount, queryStart, causal);
    int blockLast = ep_attention_last_key(ep_min(t0 + warps, queries) - 1, queries, keyCount, queryStart, causal);
    int tileStride = ep_max(keyDim + 1, valueDim);
    float* qs = ep_attention_shared;
    float* tile = qs + warps * keyDim;
    float* scores = tile + EP_KEY_TILE * tileStride + warp * keyCount;
    const float* query = qs + warp * keyDim;
    const int* maskRow = mask ? mask + (long long)b * maxKeys : 0;

    ep_attention_load_queries(q, qs, b, h, t0, warps, queries, heads, keyDim);
    for (int s0 = 0; s0 <= blockLast; s0 += EP_KEY_TILE)
    {
        __syncthreads();
        ep_attention_load_tile(k, tile, keyDim + 1, b, kvh, s0, blockLast, maxKeys, kvHeads, keyDim);
        __syncthreads();
        int s = s0 + lane;
        if (s <= blockLast) scores[s] = ep_attention_score(query, tile, lane, keyDim, s, rowLast, maskRow, scale);
    }
    __syncthreads();

    int count = blockLast + 1;
    float m = EP_NEG_INF;
    for (int s = lane; s < count; s += 32) m = fmaxf(m, scores[s]);
    m = ep_warp_max(m);
    float sum = 0.0f;
    for (int s = lane; s < count; s += 32)
    {
        float p = m == EP_NEG_INF ? 0.0f : expf(scores[s] - m);
        scores[s] = p;
        sum += p;
    }
    sum = ep_warp_sum(sum);
    float factor = m == EP_NEG_INF ? 0.0f : 1.0f / sum;

    float acc[EP_VALUE_CHUNKS];
#pragma unroll
    for (int c = 0; c < EP_VALUE_CHUNKS; c++) acc[c] = 0.0f;
    for (int s0 = 0; s0 < count; s0 += EP_KEY_TILE)
    {
        __syncthreads();
        ep_attention_load_tile(v, tile, valueDim, b, kvh, s0, blockLast, maxKeys, kvHeads, valueDim);
        __syncthreads();
        int n = ep_min(EP_KEY_TILE, count - s0);
        for (int j = 0; j < n; j++) ep_attention_accumulate(acc, scores[s0 + j], tile + j * valueDim, lane, valueDim);
    }
    ep_attention_store(out, acc, factor, b, t, h, lane, queries, heads, valueDim);
}

// Launch: grid (ceil(T/W), H, B) with W = min(16, T) warps per block, block 32·W threads (warp w: query t0+w);
// dynamic shared memory 4·(W·dk + 32·(dk+1) + 32·dv) bytes: queries, one key tile, one value tile.
template <typename T>
__device__ __forceinline__ void ep_attention_long(const T* q, const T* k, const T* v, T* out, const int* mask,
                                                  int queries, int heads, int kvHeads, int maxKeys, int keyDim, int valueDim,
                                                  int keyCount, int queryStart, int causal, float scale)
{
    extern __shared__ float ep_attention_shared[];
    int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int t0 = blockIdx.x * warps, h = blockIdx.y, b = blockIdx.z, kvh = h / (heads / kvHeads), t = t0 + warp;
    int rowLast = ep_attention_last_key(t, queries, keyCount, queryStart, causal);
    int blockLast = ep_attention_last_key(ep_min(t0 + warps, queries) - 1, queries, keyCount, queryStart, causal);
    float* qs = ep_attention_shared;
    float* keys = qs + warps * keyDim;
    float* values = keys + EP_KEY_TILE * (keyDim + 1);
    const float* query = qs + warp * keyDim;
    const int* maskRow = mask ? mask + (long long)b * maxKeys : 0;

    ep_attention_load_queries(q, qs, b, h, t0, warps, queries, heads, keyDim);
    float m = EP_NEG_INF, sum = 0.0f;
    float acc[EP_VALUE_CHUNKS];
#pragma unroll
    for (int c = 0; c < EP_VALUE_CHUNKS; c++) acc[c] = 0.0f;
    for (int s0 = 0; s0 <= blockLast; s0 += EP_KEY_TILE)
    {
        __syncthreads();
        ep_attention_load_tile(k, keys, keyDim + 1, b, kvh, s0, blockLast, maxKeys, kvHeads, keyDim);
        ep_attention_load_tile(v, values, valueDim, b, kvh, s0, blockLast, maxKeys, kvHeads, valueDim);
        __syncthreads();
        float score = ep_attention_score(query, keys, lane, keyDim, s0 + lane, rowLast, maskRow, scale);
        float mNew = fmaxf(m, ep_warp_max(score));
        if (mNew == EP_NEG_INF) continue; // nothing seen yet by this row (uniform across the warp)
        float correction = expf(m - mNew);
        float p = expf(score - mNew);
        sum = sum * correction + ep_warp_sum(p);
#pragma unroll
        for (int c = 0; c < EP_VALUE_CHUNKS; c++) acc[c] *= correction;
        int n = ep_min(EP_KEY_TILE, blockLast + 1 - s0);
        for (int j = 0; j < n; j++)
            ep_attention_accumulate(acc, __shfl_sync(0xffffffffu, p, j, 32), values + j * valueDim, lane, valueDim);
        m = mNew;
    }
    ep_attention_store(out, acc, sum > 0.0f ? 1.0f / sum : 0.0f, b, t, h, lane, queries, heads, valueDim);
}

#define EP_ATTENTION_PARAMS(T) const T *q, const T *k, const T *v, T *out, const int *mask, int queries, int heads, \
    int kvHeads, int maxKeys, int keyDim, int valueDim, int keyCount, int queryStart, int causal, float scale
#define EP_ATTENTION_ARGS q, k, v, out, mask, queries, heads, kvHeads, maxKeys, keyDim, valueDim, keyCount, queryStart, causal, scale

extern "C" __global__ void attention_short_f32(EP_ATTENTION_PARAMS(float)) { ep_attention_short(EP_ATTENTION_ARGS); }
extern "C" __global__ void attention_short_bf16(EP_ATTENTION_PARAMS(ep_bf16)) { ep_attention_short(EP_ATTENTION_ARGS); }
extern "C" __global__ void attention_long_f32(EP_ATTENTION_PARAMS(float)) { ep_attention_long(EP_ATTENTION_ARGS); }
extern "C" __global__ void attention_long_bf16(EP_ATTENTION_PARAMS(ep_bf16)) { ep_attention_long(EP_ATTENTION_ARGS); }
