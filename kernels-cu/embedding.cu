// Token (and optional learned position) embedding lookup:
//   y[r, :] = table[ids[r], :] (+ positions[startPos + r % tokensPerSequence, :]), summed in f32.
// ids are checked against the vocabulary on the host before the launch.
//
// Launch: one block per output row, grid rows; block min(256, dim rounded up to 32) threads striding the row.
#include "element.cuh"

template <typename T>
__device__ __forceinline__ void ep_embedding(const T* table, const int* ids, const T* positions, T* y,
                                             int rows, int dim, int tokensPerSequence, int startPos)
{
    int r = blockIdx.x;
    if (r >= rows) return;
    const T* src = table + (long long)ids[r] * dim;
    const T* pos = positions ? positions + (long long)(startPos + r % tokensPerSequence) * dim : 0;
    T* dst = y + (long long)r * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x)
    {
        float v = ep_load(src, i);
        if (pos) v += ep_load(pos, i);
        ep_store(dst, i, v);
    }
}

extern "C" __global__ void embedding_forward_f32(const float* table, const int* ids, const float* positions,
                                                 float* y, int rows, int dim, int tokensPerSequence, int startPos)
{
    ep_embedding(table, ids, positions, y, rows, dim, tokensPerSequence, startPos);
}

extern "C" __global__ void embedding_forward_bf16(const ep_bf16* table, const int* ids, const ep_bf16* positions,
                                                  ep_bf16* y, int rows, int dim, int tokensPerSequence, int startPos)
{
    ep_embedding(table, ids, positions, y, rows, dim, tokensPerSequence, startPos);
}
