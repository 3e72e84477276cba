// Pieces shared by the attention kernels (attention.cu, attention_backward.cu), for the layouts
//   q [B,T,H,dk], k [B,Smax,KV,dk], v [B,Smax,KV,dv], out and dOut [B,T,H,dv]; query head h reads KV head
//   h/(H/KV); mask [B,Smax] (0 hides a key): which keys a query sees, and the staging of query rows and
//   32-key tiles into shared memory in f32.
#pragma once
#ifndef EP_ATTENTION_CUH
#define EP_ATTENTION_CUH
#include "reduce.cuh"

#define EP_KEY_TILE 32
#define EP_MAX_HEAD_DIM 256
#define EP_VALUE_CHUNKS (EP_MAX_HEAD_DIM / 32)

// The last key position query t sees, or −1 when it sees none (a padding row of the block, no keys, or
// causal with queryStart + t < 0). Non-decreasing in t, so a block's last key is that of its last row.
__device__ __forceinline__ int ep_attention_last_key(int t, int queries, int keyCount, int queryStart, int causal)
{
    if (t >= queries) return -1;
    int last = keyCount - 1;
    if (causal && queryStart + t < last) last = queryStart + t;
    return last < -1 ? -1 : last;
}

// qs[w·dk + i] = q[b, t0+w, h, i] for the block's rows (zeros past the last query).
template <typename T>
__device__ __forceinline__ void ep_attention_load_queries(const T* q, float* qs, int b, int h, int t0, int warps,
                                                          int queries, int heads, int keyDim)
{
    for (int idx = threadIdx.x; idx < warps * keyDim; idx += blockDim.x)
    {
        int w = idx / keyDim, i = idx % keyDim, t = t0 + w;
        qs[idx] = t < queries ? ep_load(q, (((long long)b * queries + t) * heads + h) * keyDim + i) : 0.0f;
    }
}

// tile[j·stride + i] = x[b, s0+j, kvh, i] for the 32 keys of the tile (zeros past lastKey); stride dim+1
// where lane j reads row j (the padding spreads the rows over the banks), dim where a warp reads along a row.
template <typename T>
__device__ __forceinline__ void ep_attention_load_tile(const T* x, float* tile, int stride, int b, int kvh, int s0,
                                                       int lastKey, int maxKeys, int kvHeads, int dim)
{
    for (int idx = threadIdx.x; idx < EP_KEY_TILE * dim; idx += blockDim.x)
    {
        int j = idx / dim, i = idx % dim, s = s0 + j;
        tile[j * stride + i] = s <= lastKey ? ep_load(x, (((long long)b * maxKeys + s) * kvHeads + kvh) * dim + i) : 0.0f;
    }
}

// The scaled score of this lane's key s (row lane of the key tile), or −∞ when the row does not see it.
__device__ __forceinline__ float ep_attention_score(const float* query, const float* keys, int lane, int keyDim, int s,
                                                    int rowLast, const int* maskRow, float scale)
{
    if (s > rowLast || (maskRow && maskRow[s] == 0)) return EP_NEG_INF;
    const float* key = keys + lane * (keyDim + 1);
    float dot = 0.0f;
    for (int i = 0; i < keyDim; i++) dot += query[i] * key[i];
    return dot * scale;
}

#endif
