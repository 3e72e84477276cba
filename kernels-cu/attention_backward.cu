// Backward of attention over whole sequences (keyCount = S, queryStart = 0), the math of
// AttentionGradients.Forward and .Backward, with the probabilities recomputed from q and k:
//   p[t,s]  = softmax over the keys t sees of q_t·k_s·scale    (causal: s ≤ t; mask [B,S]: 0 hides key s)
//   dP[t,s] = dO_t·v_s,   ds[t,s] = p[t,s]·(dP[t,s] − Σ_s' p[t,s']·dP[t,s'])·scale
//   dq_t += Σ_s ds[t,s]·k_s,   dk_s += Σ_{h of the group, t} ds[t,s]·q_t,   dv_s += Σ_{h of the group, t} p[t,s]·dO_t
// Layouts as in attention.cuh; a query that sees no key has p = ds = 0 and passes nothing. Two kernels,
// deterministic (no atomics: each gradient element is summed by one thread in a fixed order), joined by f32
// scratch P and DS [B,H,T,S] (8·B·H·T·S bytes) that the first fills completely (zeros where t does not see s):
//   attention_backward_rows_*: one warp per query row, 32-key tiles of K and V staged in shared memory for
//     the block's rows (one head, consecutive queries). Pass 1 writes the scores and keeps each lane's
//     running maximum and sum; pass 2 turns them into p and writes dP beside them; pass 3 turns dP into
//     ds and, with dq, sums ds·k into the row's dq. Shared memory does not depend on S.
//   attention_backward_keys_*: one block per 8 keys of one KV head; its threads own (key, dim) pairs of dk
//     and dv and sweep the query rows of the group, 16 at a time staged in shared memory with their p and ds.
// Head dims up to EP_MAX_HEAD_DIM (256); any S.
#include "attention.cuh"

// Keys per block of the key kernel, query rows it stages at once, and its threads (each keeps
// EP_KEY_GRAD_SLOTS accumulators of dk and as many of dv: 8 keys × 256 dims over 256 threads).
#define EP_KEYS_PER_BLOCK 8
#define EP_ROWS_PER_STAGE 16
#define EP_KEY_GRAD_THREADS 256
#define EP_KEY_GRAD_SLOTS (EP_KEYS_PER_BLOCK * EP_MAX_HEAD_DIM / EP_KEY_GRAD_THREADS)

// Launch: grid (ceil(T/W), H, B) with W warps per block (W ≤ 8; the host lowers it until the shared memory
// fits in 48 KiB), block 32·W threads (warp w: query t0+w); dynamic shared memory
// 4·(W·dk + W·dv + 32·(max(dk, dv) + 1)) bytes: the queries, the rows of dO, one key or value tile.
template <typename T>
__device__ __forceinline__ void ep_attention_backward_rows(const T* q, const T* k, const T* v, const T* dOut, T* dq,
                                                           float* probs, float* dscores, const int* mask, int queries,
                                                           int heads, int kvHeads, int keys, int keyDim, int valueDim,
                                                           int causal, float scale)
{
    extern __shared__ float ep_attention_backward_shared[];
    int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    int t0 = blockIdx.x * warps, h = blockIdx.y, b = blockIdx.z, kvh = h / (heads / kvHeads), t = t0 + warp;
    int rowLast = ep_attention_last_key(t, queries, keys, 0, causal);
    int blockLast = ep_attention_last_key(ep_min(t0 + warps, queries) - 1, queries, keys, 0, causal);
    float* qs = ep_attention_backward_shared;
    float* gs = qs + warps * keyDim;
    float* tile = gs + warps * valueDim;
    const float* query = qs + warp * keyDim;
    const float* grad = gs + warp * valueDim;
    const int* maskRow = mask ? mask + (long long)b * keys : 0;
    // Padding rows of the last block (t ≥ T) take part in the tile loads and the barriers but touch no row.
    bool live = t < queries;
    long long rowOffset = live ? (((long long)b * heads + h) * queries + t) * keys : 0;
    float* pRow = probs + rowOffset;
    float* dsRow = dscores + rowOffset;

    ep_attention_load_queries(q, qs, b, h, t0, warps, queries, heads, keyDim);
    ep_attention_load_queries(dOut, gs, b, h, t0, warps, queries, heads, valueDim);

    // Pass 1: the scores of the lane's keys into P (−∞ where unseen), with the lane's running maximum m and
    // sum l of exp(score − m).
    float m = EP_NEG_INF, l = 0.0f;
    for (int s0 = 0; s0 <= blockLast; s0 += EP_KEY_TILE)
    {
        __syncthreads();
        ep_attention_load_tile(k, tile, keyDim + 1, b, kvh, s0, blockLast, keys, kvHeads, keyDim);
        __syncthreads();
        int s = s0 + lane;
        if (s <= blockLast)
        {
            float x = ep_attention_score(query, tile, lane, keyDim, s, rowLast, maskRow, scale);
            if (live) pRow[s] = x;
            if (x > m)
            {
                l = l * expf(m - x) + 1.0f;
                m = x;
            }
            else if (x != EP_NEG_INF)
            {
                l += expf(x - m);
            }
        }
    }
    float rowMax = ep_warp_max(m);
    float sum = ep_warp_sum(rowMax == EP_NEG_INF ? 0.0f : l * expf(m - rowMax));
    float inv = sum > 0.0f ? 1.0f / sum : 0.0f;

    // Pass 2: p = exp(score − max)/sum into P, dP = dO·v into DS, and the lane's share of Σ p·dP.
    float weighted = 0.0f;
    for (int s0 = 0; s0 <= blockLast; s0 += EP_KEY_TILE)
    {
        __syncthreads();
        ep_attention_load_tile(v, tile, valueDim + 1, b, kvh, s0, blockLast, keys, kvHeads, valueDim);
        __syncthreads();
        int s = s0 + lane;
        if (live && s <= blockLast)
        {
            float p = rowMax == EP_NEG_INF ? 0.0f : expf(pRow[s] - rowMax) * inv;
            float dp = 0.0f;
            if (p != 0.0f)
            {
                const float* value = tile + lane * (valueDim + 1);
                for (int i = 0; i < valueDim; i++) dp += grad[i] * value[i];
            }
            pRow[s] = p;
            dsRow[s] = dp;
            weighted += p * dp;
        }
    }
    float rowDot = ep_warp_sum(weighted);

    // Pass 3: ds = p·(dP − Σ p·dP)·scale into DS; with dq, the row's Σ ds·k, lane owning dims lane + 32c.
    float acc[EP_VALUE_CHUNKS];
#pragma unroll
    for (int c = 0; c < EP_VALUE_CHUNKS; c++) acc[c] = 0.0f;
    for (int s0 = 0; s0 <= blockLast; s0 += EP_KEY_TILE)
    {
        if (dq)
        {
            __syncthreads();
            ep_attention_load_tile(k, tile, keyDim + 1, b, kvh, s0, blockLast, keys, kvHeads, keyDim);
            __syncthreads();
        }
        int s = s0 + lane;
        float ds = 0.0f;
        if (live && s <= blockLast)
        {
            ds = pRow[s] * (dsRow[s] - rowDot) * scale;
            dsRow[s] = ds;
        }
        if (dq)
        {
            int n = ep_min(EP_KEY_TILE, blockLast + 1 - s0);
            for (int j = 0; j < n; j++)
            {
                float w = __shfl_sync(0xffffffffu, ds, j, 32);
                if (w == 0.0f) continue; // uniform across the warp: every lane holds lane j's ds
                const float* key = tile + j * (keyDim + 1);
#pragma unroll
                for (int c = 0; c < EP_VALUE_CHUNKS; c++)
                {
                    int d = lane + 32 * c;
                    if (d < keyDim) acc[c] += w * key[d];
                }
            }
        }
    }
    if (!live) return;
    for (int s = blockLast + 1 + lane; s < keys; s += 32)
    {
        pRow[s] = 0.0f;
        dsRow[s] = 0.0f;
    }
    if (dq)
    {
        T* row = dq + (((long long)b * queries + t) * heads + h) * keyDim;
#pragma unroll
        for (int c = 0; c < EP_VALUE_CHUNKS; c++)
        {
            int d = lane + 32 * c;
            if (d < keyDim) ep_store(row, d, ep_load(row, d) + acc[c]);
        }
    }
}

// (h, t) of row r of the query rows a key block sweeps: the group's heads in order, each over t ≥ tStart.
__device__ __forceinline__ void ep_attention_backward_row(int r, int kvh, int group, int tStart, int span, int& h, int& t)
{
    h = kvh * group + r / span;
    t = tStart + r % span;
}

// Launch: grid (ceil(S/8), KV, B), block EP_KEY_GRAD_THREADS (256) threads; dynamic shared memory
// 4·(16·dk + 16·dv + 2·16·8) bytes: 16 rows of q, of dO, and their p and ds at the block's 8 keys.
// Query rows before the block's first key see none of its keys under causal attention and are skipped.
template <typename T>
__device__ __forceinline__ void ep_attention_backward_keys(const T* q, const T* dOut, const float* probs, const float* dscores,
                                                           T* dk, T* dv, int queries, int heads, int kvHeads, int keys,
                                                           int keyDim, int valueDim, int causal)
{
    extern __shared__ float ep_attention_backward_shared[];
    int s0 = blockIdx.x * EP_KEYS_PER_BLOCK, kvh = blockIdx.y, b = blockIdx.z, group = heads / kvHeads;
    int tStart = causal ? ep_min(s0, queries) : 0;
    int span = queries - tStart;
    int rows = group * span;
    float* qs = ep_attention_backward_shared;
    float* gs = qs + EP_ROWS_PER_STAGE * keyDim;
    float* ps = gs + EP_ROWS_PER_STAGE * valueDim;
    float* dss = ps + EP_ROWS_PER_STAGE * EP_KEYS_PER_BLOCK;

    float accK[EP_KEY_GRAD_SLOTS], accV[EP_KEY_GRAD_SLOTS];
#pragma unroll
    for (int c = 0; c < EP_KEY_GRAD_SLOTS; c++) accK[c] = accV[c] = 0.0f;
    for (int r0 = 0; r0 < rows; r0 += EP_ROWS_PER_STAGE)
    {
        __syncthreads();
        if (dk)
            for (int idx = threadIdx.x; idx < EP_ROWS_PER_STAGE * keyDim; idx += blockDim.x)
            {
                int r = r0 + idx / keyDim, i = idx % keyDim, h, t;
                float x = 0.0f;
                if (r < rows)
                {
                    ep_attention_backward_row(r, kvh, group, tStart, span, h, t);
                    x = ep_load(q, (((long long)b * queries + t) * heads + h) * keyDim + i);
                }
                qs[idx] = x;
            }
        if (dv)
            for (int idx = threadIdx.x; idx < EP_ROWS_PER_STAGE * valueDim; idx += blockDim.x)
            {
                int r = r0 + idx / valueDim, i = idx % valueDim, h, t;
                float x = 0.0f;
                if (r < rows)
                {
                    ep_attention_backward_row(r, kvh, group, tStart, span, h, t);
                    x = ep_load(dOut, (((long long)b * queries + t) * heads + h) * valueDim + i);
                }
                gs[idx] = x;
            }
        for (int idx = threadIdx.x; idx < EP_ROWS_PER_STAGE * EP_KEYS_PER_BLOCK; idx += blockDim.x)
        {
            int r = r0 + idx / EP_KEYS_PER_BLOCK, s = s0 + idx % EP_KEYS_PER_BLOCK, h, t;
            float p = 0.0f, ds = 0.0f;
            if (r < rows && s < keys)
            {
                ep_attention_backward_row(r, kvh, group, tStart, span, h, t);
                long long o = (((long long)b * heads + h) * queries + t) * keys + s;
                p = probs[o];
                ds = dscores[o];
            }
            ps[idx] = p;
            dss[idx] = ds;
        }
        __syncthreads();
        int n = ep_min(EP_ROWS_PER_STAGE, rows - r0);
#pragma unroll
        for (int c = 0; c < EP_KEY_GRAD_SLOTS; c++)
        {
            int e = threadIdx.x + EP_KEY_GRAD_THREADS * c;
            if (dk && e < EP_KEYS_PER_BLOCK * keyDim)
            {
                int j = e / keyDim, i = e % keyDim;
                float a = accK[c];
                for (int r = 0; r < n; r++) a += dss[r * EP_KEYS_PER_BLOCK + j] * qs[r * keyDim + i];
                accK[c] = a;
            }
            if (dv && e < EP_KEYS_PER_BLOCK * valueDim)
            {
                int j = e / valueDim, i = e % valueDim;
                float a = accV[c];
                for (int r = 0; r < n; r++) a += ps[r * EP_KEYS_PER_BLOCK + j] * gs[r * valueDim + i];
                accV[c] = a;
            }
        }
    }

#pragma unroll
    for (int c = 0; c < EP_KEY_GRAD_SLOTS; c++)
    {
        int e = threadIdx.x + EP_KEY_GRAD_THREADS * c;
        if (dk && e < EP_KEYS_PER_BLOCK * keyDim)
        {
            int s = s0 + e / keyDim;
            long long o = (((long long)b * keys + s) * kvHeads + kvh) * keyDim + e % keyDim;
            if (s < keys) ep_store(dk, o, ep_load(dk, o) + accK[c]);
        }
        if (dv && e < EP_KEYS_PER_BLOCK * valueDim)
        {
            int s = s0 + e / valueDim;
            long long o = (((long long)b * keys + s) * kvHeads + kvh) * valueDim + e % valueDim;
            if (s < keys) ep_store(dv, o, ep_load(dv, o) + accV[c]);
        }
    }
}

#define EP_ATTENTION_BACKWARD_ROWS_PARAMS(T) const T *q, const T *k, const T *v, const T *dOut, T *dq, float *probs, \
    float *dscores, const int *mask, int queries, int heads, int kvHeads, int keys, int keyDim, int valueDim, int causal, float scale
#define EP_ATTENTION_BACKWARD_ROWS_ARGS q, k, v, dOut, dq, probs, dscores, mask, queries, heads, kvHeads, keys, keyDim, valueDim, \
    causal, scale
#define EP_ATTENTION_BACKWARD_KEYS_PARAMS(T) const T *q, const T *dOut, const float *probs, const float *dscores, T *dk, T *dv, \
    int queries, int heads, int kvHeads, int keys, int keyDim, int valueDim, int causal
#define EP_ATTENTION_BACKWARD_KEYS_ARGS q, dOut, probs, dscores, dk, dv, queries, heads, kvHeads, keys, keyDim, valueDim, causal

extern "C" __global__ void attention_backward_rows_f32(EP_ATTENTION_BACKWARD_ROWS_PARAMS(float))
{
    ep_attention_backward_rows(EP_ATTENTION_BACKWARD_ROWS_ARGS);
}

extern "C" __global__ void attention_backward_rows_bf16(EP_ATTENTION_BACKWARD_ROWS_PARAMS(ep_bf16))
{
    ep_attention_backward_rows(EP_ATTENTION_BACKWARD_ROWS_ARGS);
}

extern "C" __global__ void attention_backward_keys_f32(EP_ATTENTION_BACKWARD_KEYS_PARAMS(float))
{
    ep_attention_backward_keys(EP_ATTENTION_BACKWARD_KEYS_ARGS);
}

extern "C" __global__ void attention_backward_keys_bf16(EP_ATTENTION_BACKWARD_KEYS_PARAMS(ep_bf16))
{
    ep_attention_backward_keys(EP_ATTENTION_BACKWARD_KEYS_ARGS);
}
