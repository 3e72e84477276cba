// Token (and optional learned position) embedding lookup: y[r, :] = table[ids[r], :] (+ pos[start + r % T, :]).
#include "prelude.cuh"

extern "C" __global__ void embedding_forward_f32(const float* table, const int* ids, const float* positions,
                                                 float* y, int rows, int dim, int tokensPerSequence, int startPos)
{
    int r = blockIdx.x;
    if (r >= rows) return;
    const float* src = table + (long long)ids[r] * dim;
    const float* pos = positions ? positions + (long long)(startPos + r % tokensPerSequence) * dim : 0;
    float* dst = y + (long long)r * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) dst[i] = src[i] + (pos ? pos[i] : 0.0f);
}

extern "C" __global__ void embedding_forward_bf16(const ep_bf16* table, const int* ids, const ep_bf16* positions,
                                                  ep_bf16* y, int rows, int dim, int tokensPerSequence, int startPos)
{
    int r = blockIdx.x;
    if (r >= rows) return;
    const ep_bf16* src = table + (long long)ids[r] * dim;
    const ep_bf16* pos = positions ? positions + (long long)(startPos + r % tokensPerSequence) * dim : 0;
    ep_bf16* dst = y + (long long)r * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x)
        dst[i] = ep_float_to_bf16(ep_bf16_to_float(src[i]) + (pos ? ep_bf16_to_float(pos[i]) : 0.0f));
}
