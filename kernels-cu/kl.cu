// KL(p_full ‖ p_circuit) per selected row, with log-softmax on both sides over the row (or over a column
// subset, re-softmaxed), and the gradient into the circuit logits: dCircuit[row, col] += scale·(p_c − p_f).
// One block per selected row (grid = number of selected rows) of 32 to 256 threads, a multiple of 32 (fewer
// for a narrow row, where most threads of a wide block would idle); no shared-memory argument.
// Rows must be distinct (each block owns its row of dCircuit).
#include "prelude.cuh"

__device__ __forceinline__ float ep_warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset, 32));
    return v;
}

// Reduces v over the block (sum, or max when isMax); every thread gets the result.
__device__ float ep_block_reduce(float v, bool isMax, float* scratch)
{
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = isMax ? ep_warp_max(v) : ep_warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    int warps = blockDim.x / 32;
    float r = lane < warps ? scratch[lane] : (isMax ? -3.402823466e38f : 0.0f);
    return isMax ? ep_warp_max(r) : ep_warp_sum(r);
}

extern "C" __global__ void kl_rows(const float* full, const float* circuit, const int* rows, const int* columns, int width, int vocab,
                                   float* rowKl, float* dCircuit, float gradScale)
{
    __shared__ float scratch[32];
    long long row = rows[blockIdx.x];
    const float* f = full + row * vocab;
    const float* c = circuit + row * vocab;
    float maxF = -3.402823466e38f, maxC = -3.402823466e38f;
    for (int j = threadIdx.x; j < width; j += blockDim.x)
    {
        int col = columns ? columns[j] : j;
        maxF = fmaxf(maxF, f[col]);
        maxC = fmaxf(maxC, c[col]);
    }
    maxF = ep_block_reduce(maxF, true, scratch);
    maxC = ep_block_reduce(maxC, true, scratch);
    float sumF = 0.0f, sumC = 0.0f;
    for (int j = threadIdx.x; j < width; j += blockDim.x)
    {
        int col = columns ? columns[j] : j;
        sumF += expf(f[col] - maxF);
        sumC += expf(c[col] - maxC);
    }
    float lzF = maxF + logf(ep_block_reduce(sumF, false, scratch));
    float lzC = maxC + logf(ep_block_reduce(sumC, false, scratch));
    float kl = 0.0f;
    float* g = dCircuit + row * vocab;
    for (int j = threadIdx.x; j < width; j += blockDim.x)
    {
        int col = columns ? columns[j] : j;
        float lf = f[col] - lzF, lc = c[col] - lzC, pf = expf(lf);
        if (pf != 0.0f) kl += pf * (lf - lc);
        g[col] += gradScale * (expf(lc) - pf);
    }
    kl = ep_block_reduce(kl, false, scratch);
    if (threadIdx.x == 0) rowKl[blockIdx.x] = kl;
}

// The loss of a numerical output: per sequence b, column 0 of the logits at its loss rows
// rows[offsets[b] .. offsets[b+1]) is softmaxed across those rows on both sides; seqKl[b] = KL(full ‖ circuit)
// and dCircuit[row, 0] += gradScale·(p_c − p_f). One thread per sequence (a sequence has tens of positions).
extern "C" __global__ void sequence_kl(const float* full, const float* circuit, const int* offsets, const int* rows, int sequences,
                                       int outputs, float* seqKl, float* dCircuit, float gradScale)
{
    int b = blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= sequences) return;
    int first = offsets[b], last = offsets[b + 1];
    float maxF = -3.402823466e38f, maxC = -3.402823466e38f;
    for (int i = first; i < last; i++)
    {
        long long at = (long long)rows[i] * outputs;
        maxF = fmaxf(maxF, full[at]);
        maxC = fmaxf(maxC, circuit[at]);
    }
    float sumF = 0.0f, sumC = 0.0f;
    for (int i = first; i < last; i++)
    {
        long long at = (long long)rows[i] * outputs;
        sumF += expf(full[at] - maxF);
        sumC += expf(circuit[at] - maxC);
    }
    float lzF = maxF + logf(sumF), lzC = maxC + logf(sumC);
    float kl = 0.0f;
    for (int i = first; i < last; i++)
    {
        long long at = (long long)rows[i] * outputs;
        float lf = full[at] - lzF, lc = circuit[at] - lzC, pf = expf(lf);
        if (pf != 0.0f) kl += pf * (lf - lc);
        dCircuit[at] += gradScale * (expf(lc) - pf);
    }
    seqKl[b] = kl;
}
