// Masked read: the inputs of all readers of a layer under edge masks, fused with the norm in front of
// each reader's projection (DESIGN.md §1), and its backward into the masks, the difference stack and
// the corrupted sum. CPU reference (the oracle): src/Kernels/MaskedRead/MaskedReadReference.cs.
//
// Math. R readers (a layer's Q/K/V readers, or its MLP reader), U writers visible to them, N = batch·T
// positions, model dim d:
//   x[r,n,:] = C[n,:] + Σ_u z[r,u]·D[u,n,:]                         (f32 accumulation, u ascending)
//   LayerNorm: μ = mean(x), rstd = rsqrt(mean((x−μ)²) + eps), y = (x−μ)·rstd·γ + β
//   RMSNorm:   μ = 0,       rstd = rsqrt(mean(x²) + eps),     y = x·rstd·γ
// Backward, with g = dY·γ and x̂ = (x−μ)·rstd (x recomputed, μ and rstd as saved by the forward):
//   dX[r,n,:] = rstd·(g − mean(g) − x̂·mean(g·x̂))                   (RMSNorm: without the mean(g) term)
//   dZ[r,u] += Σ_{n,i} dX[r,n,i]·D[u,n,i]    dD[u,n,:] += Σ_r z[r,u]·dX[r,n,:]    dC[n,:] += Σ_r dX[r,n,:]
// γ and β are frozen and get no gradient. D is assumed finite: a writer whose masks are all zero in a
// reader tile is skipped (its D row is not read), which differs from 0·D only for inf or NaN.
//
// Layouts (row-major, contiguous): z [R,U] f32, row r = the masks of reader r's incoming edges (the order
// in which MaskLayout stores a reader group); the forward also takes grouped masks z [G,R,U]: the N tokens
// fall into G equal runs of N/G consecutive tokens (G copies of a batch) and token n reads z[n / (N/G)], so
// that one pass evaluates G circuits (ACDC's candidate removals); D [U,N,d] f32 or bf16; C [N,d] f32; γ, β [d] f32;
// y [R,N,d] f32 or bf16; mean, rstd [R,N] f32; dY [R,N,d] f32 or bf16; dZ [R,U], dC [N,d] f32; dD [U,N,d] f32 or
// bf16 (the trainer keeps it in the activations' dtype: in a bf16 run the largest buffer of a step).
//
// Bytes per call, the figure of merit (the kernels are bandwidth-bound): every tensor read or written once,
// accumulated ones read and written; s_D, s_Y, s_G, s_dD are the element sizes of D, y, dY and dD, [β] and [LN]
// are 1 with a beta and for LayerNorm (its mean), else 0 (MaskedReadShape.ForwardBytes and BackwardBytes):
//   forward   4·R·U + s_D·U·N·d + 4·N·d + 4·d·(1 + [β]) + s_Y·R·N·d + 4·R·N·(1 + [LN])
//   backward  12·R·U + (s_D + 2·s_dD)·U·N·d + 12·N·d + 4·d + s_G·R·N·d + 4·R·N·(1 + [LN])
// That is what DRAM must move at least. These kernels stream D once per tile of readers (forward: ⌈R/RT⌉
// times; backward: twice per group of 8 readers, the second time mostly from L1) and read and write dD once
// per backward reader tile (⌈R/RT⌉ times); the blocks that share a token run side by side (forward) or are
// one block (backward), so that the repeats are served by L2 and L1.
// Arithmetic: 2·R flops per element of D, so at large R with a bf16 stack the f32 CUDA cores, not DRAM,
// set the pace; a tensor-core accumulation is the next step there.
#include "prelude.cuh"

// Readers whose accumulators a thread keeps in registers while it streams D.
#define EP_MR_GROUP 8
// Elements of a row a thread accumulates per pass over D (strided by blockDim.x, so loads coalesce).
#define EP_MR_VALUES 4

__device__ __forceinline__ int ep_mr_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ float ep_mr_load(const float* p) { return *p; }
__device__ __forceinline__ float ep_mr_load(const ep_bf16* p) { return ep_bf16_to_float(*p); }
__device__ __forceinline__ void ep_mr_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void ep_mr_store(ep_bf16* p, float v) { *p = ep_float_to_bf16(v); }

// s_x[r·d + i] = C[n,i] + Σ_u s_z[r·U + u]·D[u,n,i] for the gc ≤ EP_MR_GROUP readers whose masks start at
// s_z. Thread t owns the elements i ≡ t (mod blockDim.x); each element of D[:,n,:] is read once.
template <typename S>
__device__ void ep_mr_accumulate(const float* s_z, const S* stack, const float* corrupted, float* s_x, int gc,
                                 int writers, int tokens, int n, int dim)
{
    const long long plane = (long long)tokens * dim;
    const long long row = (long long)n * dim;
    const int stride = blockDim.x;
    for (int base = threadIdx.x; base < dim; base += stride * EP_MR_VALUES)
    {
        float acc[EP_MR_GROUP][EP_MR_VALUES];
#pragma unroll
        for (int k = 0; k < EP_MR_VALUES; k++)
        {
            int i = base + k * stride;
            float c = i < dim ? corrupted[row + i] : 0.0f;
#pragma unroll
            for (int r = 0; r < EP_MR_GROUP; r++) acc[r][k] = c;
        }
        for (int u = 0; u < writers; u++)
        {
            float zu[EP_MR_GROUP];
            bool live = false;
#pragma unroll
            for (int r = 0; r < EP_MR_GROUP; r++)
            {
                zu[r] = r < gc ? s_z[r * writers + u] : 0.0f;
                live |= zu[r] != 0.0f;
            }
            if (!live) continue; // the same masks in every thread: a uniform branch
            const S* du = stack + u * plane + row;
            float dv[EP_MR_VALUES];
#pragma unroll
            for (int k = 0; k < EP_MR_VALUES; k++)
            {
                int i = base + k * stride;
                dv[k] = i < dim ? ep_mr_load(du + i) : 0.0f;
            }
#pragma unroll
            for (int r = 0; r < EP_MR_GROUP; r++)
#pragma unroll
                for (int k = 0; k < EP_MR_VALUES; k++) acc[r][k] += zu[r] * dv[k];
        }
#pragma unroll
        for (int k = 0; k < EP_MR_VALUES; k++)
        {
            int i = base + k * stride;
            if (i >= dim) break;
#pragma unroll
            for (int r = 0; r < EP_MR_GROUP; r++)
                if (r < gc) s_x[r * dim + i] = acc[r][k];
        }
    }
}

// Block-wide sums of up to 2·EP_MR_GROUP quantities: every thread adds its partial of quantity q with
// ep_mr_partial(s_red, q, v); ep_mr_finish(s_red, s_total, first, count) then leaves the totals of
// quantities first .. first + count − 1 in s_total at the same indices. All threads of the block must
// call both (they hold barriers and full-warp shuffles).
__device__ __forceinline__ void ep_mr_partial(float* s_red, int q, float partial)
{
    partial = ep_warp_sum(partial);
    if (threadIdx.x % 32 == 0) s_red[q * 32 + threadIdx.x / 32] = partial;
}

__device__ __forceinline__ void ep_mr_finish(const float* s_red, float* s_total, int first, int count)
{
    __syncthreads();
    int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    for (int q = first + warp; q < first + count; q += warps)
    {
        float v = ep_warp_sum(lane < warps ? s_red[q * 32 + lane] : 0.0f);
        if (lane == 0) s_total[q] = v;
    }
    __syncthreads();
}

// Forward. One block per (token n, tile of RT = readers_per_block ≤ 8 readers), the reader tile varying
// fastest so that the blocks reading the same D[:,n,:] run side by side and share it in L2.
//   grid   (N·⌈R/RT⌉, 1, 1); block n·⌈R/RT⌉ + t computes readers t·RT .. min(R, (t+1)·RT) − 1 of token n
//   block  (B, 1, 1), B a multiple of 32 with 32 ≤ B ≤ 1024 (256 is a good start); any d
//   shared dynamic 4·RT·(U + d) bytes (z tile [RT,U], x tile [RT,d]); above 48 KiB the launcher must
//          raise CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES. Static: 4·(2·8·32 + 2·8) bytes.
//   beta   may be null (no bias); RMSNorm ignores it. mean: LayerNorm writes it when not null, RMSNorm never
//          does (pass null). rstd: written when not null.
//   group_tokens  N/G, the tokens that share one [R,U] slice of z (N for ungrouped masks z [R,U]).
template <typename S, typename Y, bool LAYER_NORM>
__device__ void ep_mr_forward(const float* z, const S* stack, const float* corrupted, const float* gamma,
                              const float* beta, Y* y, float* mean, float* rstd, int readers, int writers,
                              int tokens, int dim, int rt, float eps, int group_tokens)
{
    extern __shared__ float ep_mr_smem[];
    __shared__ float s_red[2 * EP_MR_GROUP * 32];
    __shared__ float s_total[2 * EP_MR_GROUP];
    const int tiles = (readers + rt - 1) / rt;
    const int n = blockIdx.x / tiles;
    const int r0 = (blockIdx.x % tiles) * rt;
    if (n >= tokens) return;
    const int gc = ep_mr_min(rt, readers - r0);
    float* s_z = ep_mr_smem;        // [RT, U]
    float* s_x = s_z + rt * writers; // [RT, d]
    const float* zg = z + (long long)(n / group_tokens) * readers * writers;
    for (int j = threadIdx.x; j < gc * writers; j += blockDim.x) s_z[j] = zg[(long long)r0 * writers + j];
    __syncthreads();
    ep_mr_accumulate(s_z, stack, corrupted, s_x, gc, writers, tokens, n, dim);

    // Statistics, two passes over the x tile (each thread over the elements it accumulated):
    // s_total[r] = Σ x (LayerNorm), s_total[8 + r] = Σ (x − μ)² or Σ x².
    if (LAYER_NORM)
    {
        for (int r = 0; r < gc; r++)
        {
            float s = 0.0f;
            for (int i = threadIdx.x; i < dim; i += blockDim.x) s += s_x[r * dim + i];
            ep_mr_partial(s_red, r, s);
        }
        ep_mr_finish(s_red, s_total, 0, gc);
    }
    for (int r = 0; r < gc; r++)
    {
        float mu = LAYER_NORM ? s_total[r] / dim : 0.0f;
        float s = 0.0f;
        for (int i = threadIdx.x; i < dim; i += blockDim.x)
        {
            float t = s_x[r * dim + i] - mu;
            s += t * t;
        }
        ep_mr_partial(s_red, EP_MR_GROUP + r, s);
    }
    ep_mr_finish(s_red, s_total, EP_MR_GROUP, gc);

    for (int r = 0; r < gc; r++)
    {
        float mu = LAYER_NORM ? s_total[r] / dim : 0.0f;
        float inv = rsqrtf(s_total[EP_MR_GROUP + r] / dim + eps);
        long long stat = (long long)(r0 + r) * tokens + n;
        Y* yr = y + stat * dim;
        for (int i = threadIdx.x; i < dim; i += blockDim.x)
        {
            float b = LAYER_NORM && beta ? beta[i] : 0.0f;
            ep_mr_store(yr + i, (s_x[r * dim + i] - mu) * inv * gamma[i] + b);
        }
        if (threadIdx.x == 0)
        {
            if (LAYER_NORM && mean) mean[stat] = mu;
            if (rstd) rstd[stat] = inv;
        }
    }
}

// Backward. One block per tile of TN = tokens_per_block tokens; it walks all readers, RT = readers_per_tile
// at a time (any RT ≥ 1), so that it alone writes dD[:,n,:] and dC[n,:] of its tokens (plain
// read-modify-write, deterministic), and adds its partial dZ of each reader tile with one atomicAdd per
// (reader, writer).
//   grid   (⌈N/TN⌉, 1, 1); block b handles tokens b·TN .. min(N, (b+1)·TN) − 1
//   block  (B, 1, 1), B a multiple of 32 with 32 ≤ B ≤ 1024 (256 is a good start); any d
//   shared dynamic 4·RT·(2·U + d) bytes (z tile, dZ tile, x/dX tile): take RT = R when that fits (dD is
//          then read and written once); above 48 KiB raise the attribute as for the forward.
//          Static: 4·(2·8·32 + 2·8) bytes.
//   mean   LayerNorm only (RMSNorm ignores it: pass null); rstd always.
//   dz, dstack, dcorrupted: accumulated into (+=), each may be null (not computed). dz must be zeroed or
//          hold the sum to add to; its additions are atomic, so its last bits depend on the block order.
//          dstack (f32 or bf16): each element has one owner thread (its token's block, the warp of its writer,
//          the lane of its column), which reads it, adds the tile's f32 sum over the tile's readers and writes
//          it back, once per reader tile. A bf16 dstack is thus rounded once per reader tile: once per call
//          where RT = R, ⌈R/RT⌉ times where the tiles do not fit shared memory at once (large U·d); keeping
//          the sum across tiles in f32 would take an f32 dD, the buffer the bf16 variant exists to avoid.
// Per token and reader tile: x is recomputed 8 readers at a time (threads across d), normed backward in
// place, then warps take writers: warp w computes dZ[·,u] and dD[u,n,:] for u ≡ w (mod B/32), its
// lanes across d.
template <typename S, typename G, typename S2, bool LAYER_NORM>
__device__ void ep_mr_backward(const float* z, const S* stack, const float* corrupted, const float* gamma,
                               const float* mean, const float* rstd, const G* dy, float* dz, S2* dstack,
                               float* dcorrupted, int readers, int writers, int tokens, int dim, int rt,
                               int tokens_per_block)
{
    extern __shared__ float ep_mr_smem[];
    __shared__ float s_red[2 * EP_MR_GROUP * 32];
    __shared__ float s_total[2 * EP_MR_GROUP];
    float* s_z = ep_mr_smem;            // [RT, U]
    float* s_dz = s_z + rt * writers;    // [RT, U]
    float* s_x = s_dz + rt * writers;    // [RT, d]: x, then dX
    const int n0 = blockIdx.x * tokens_per_block;
    const int n1 = ep_mr_min(n0 + tokens_per_block, tokens);
    const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const long long plane = (long long)tokens * dim;

    for (int r0 = 0; r0 < readers; r0 += rt)
    {
        const int tc = ep_mr_min(rt, readers - r0);
        __syncthreads(); // the previous tile is done with s_z and s_dz
        for (int j = threadIdx.x; j < tc * writers; j += blockDim.x)
        {
            s_z[j] = z[(long long)r0 * writers + j];
            s_dz[j] = 0.0f;
        }
        __syncthreads();
        for (int n = n0; n < n1; n++)
        {
            for (int g0 = 0; g0 < tc; g0 += EP_MR_GROUP)
            {
                const int gc = ep_mr_min(EP_MR_GROUP, tc - g0);
                float* gx = s_x + g0 * dim;
                ep_mr_accumulate(s_z + g0 * writers, stack, corrupted, gx, gc, writers, tokens, n, dim);
                // s_total[r] = Σ g, s_total[gc + r] = Σ g·x̂ over the row of reader g0 + r.
                for (int r = 0; r < gc; r++)
                {
                    long long stat = (long long)(r0 + g0 + r) * tokens + n;
                    float mu = LAYER_NORM ? mean[stat] : 0.0f, inv = rstd[stat];
                    const G* dyr = dy + stat * dim;
                    float sg = 0.0f, sgx = 0.0f;
                    for (int i = threadIdx.x; i < dim; i += blockDim.x)
                    {
                        float g = ep_mr_load(dyr + i) * gamma[i];
                        sg += g;
                        sgx += g * (gx[r * dim + i] - mu) * inv;
                    }
                    ep_mr_partial(s_red, r, sg);
                    ep_mr_partial(s_red, gc + r, sgx);
                }
                ep_mr_finish(s_red, s_total, 0, 2 * gc);
                for (int r = 0; r < gc; r++)
                {
                    long long stat = (long long)(r0 + g0 + r) * tokens + n;
                    float mu = LAYER_NORM ? mean[stat] : 0.0f, inv = rstd[stat];
                    float mg = LAYER_NORM ? s_total[r] / dim : 0.0f, mgx = s_total[gc + r] / dim;
                    const G* dyr = dy + stat * dim;
                    for (int i = threadIdx.x; i < dim; i += blockDim.x)
                    {
                        float xh = (gx[r * dim + i] - mu) * inv;
                        gx[r * dim + i] = inv * (ep_mr_load(dyr + i) * gamma[i] - mg - xh * mgx);
                    }
                }
            }
            __syncthreads(); // dX of every reader of the tile is in s_x

            const long long row = (long long)n * dim;
            if (dcorrupted)
                for (int i = threadIdx.x; i < dim; i += blockDim.x)
                {
                    float s = 0.0f;
                    for (int r = 0; r < tc; r++) s += s_x[r * dim + i];
                    dcorrupted[row + i] += s;
                }
            for (int u = warp; u < writers; u += warps)
            {
                const S* du = stack + u * plane + row;
                if (dz)
                    for (int g0 = 0; g0 < tc; g0 += EP_MR_GROUP)
                    {
                        const int gc = ep_mr_min(EP_MR_GROUP, tc - g0);
                        const float* gx = s_x + g0 * dim;
                        float dot[EP_MR_GROUP];
#pragma unroll
                        for (int r = 0; r < EP_MR_GROUP; r++) dot[r] = 0.0f;
                        for (int i = lane; i < dim; i += 32)
                        {
                            float dv = ep_mr_load(du + i);
#pragma unroll
                            for (int r = 0; r < EP_MR_GROUP; r++)
                                if (r < gc) dot[r] += gx[r * dim + i] * dv;
                        }
#pragma unroll
                        for (int r = 0; r < EP_MR_GROUP; r++)
                            if (r < gc)
                            {
                                float s = ep_warp_sum(dot[r]);
                                if (lane == 0) s_dz[(g0 + r) * writers + u] += s;
                            }
                    }
                if (!dstack) continue;
                bool live = false;
                for (int r = 0; r < tc; r++) live |= s_z[r * writers + u] != 0.0f;
                if (!live) continue; // dD[u] += 0
                S2* ddu = dstack + u * plane + row;
                for (int i = lane; i < dim; i += 32)
                {
                    float s = 0.0f;
                    for (int r = 0; r < tc; r++) s += s_z[r * writers + u] * s_x[r * dim + i];
                    ep_mr_store(ddu + i, ep_mr_load(ddu + i) + s);
                }
            }
            __syncthreads(); // s_x and s_dz are complete before the next token rewrites s_x
        }
        if (dz)
            for (int j = threadIdx.x; j < tc * writers; j += blockDim.x)
                atomicAdd(dz + (long long)r0 * writers + j, s_dz[j]);
    }
}

// Entry points: masked_read_<norm>_forward_stack_<D dtype>_y_<y dtype> and
// masked_read_<norm>_backward_stack_<D dtype>_dy_<dY dtype>_dstack_<dD dtype>, parameters as in the macros.
#define EP_MR_FORWARD(NAME, S, Y, LN)                                                                            \
    extern "C" __global__ void NAME(const float* z, const S* stack, const float* corrupted, const float* gamma,   \
                                    const float* beta, Y* y, float* mean, float* rstd, int readers, int writers, \
                                    int tokens, int dim, int readers_per_block, float eps, int group_tokens)     \
    {                                                                                                            \
        ep_mr_forward<S, Y, LN>(z, stack, corrupted, gamma, beta, y, mean, rstd, readers, writers, tokens, dim,  \
                                readers_per_block, eps, group_tokens);                                           \
    }

#define EP_MR_BACKWARD(NAME, S, G, S2, LN)                                                                      \
    extern "C" __global__ void NAME(const float* z, const S* stack, const float* corrupted, const float* gamma,  \
                                    const float* mean, const float* rstd, const G* dy, float* dz, S2* dstack,    \
                                    float* dcorrupted, int readers, int writers, int tokens, int dim,           \
                                    int readers_per_tile, int tokens_per_block)                                 \
    {                                                                                                           \
        ep_mr_backward<S, G, S2, LN>(z, stack, corrupted, gamma, mean, rstd, dy, dz, dstack, dcorrupted,        \
                                     readers, writers, tokens, dim, readers_per_tile, tokens_per_block);        \
    }

EP_MR_FORWARD(masked_read_layernorm_forward_stack_f32_y_f32, float, float, true)
EP_MR_FORWARD(masked_read_layernorm_forward_stack_f32_y_bf16, float, ep_bf16, true)
EP_MR_FORWARD(masked_read_layernorm_forward_stack_bf16_y_f32, ep_bf16, float, true)
EP_MR_FORWARD(masked_read_layernorm_forward_stack_bf16_y_bf16, ep_bf16, ep_bf16, true)
EP_MR_FORWARD(masked_read_rmsnorm_forward_stack_f32_y_f32, float, float, false)
EP_MR_FORWARD(masked_read_rmsnorm_forward_stack_f32_y_bf16, float, ep_bf16, false)
EP_MR_FORWARD(masked_read_rmsnorm_forward_stack_bf16_y_f32, ep_bf16, float, false)
EP_MR_FORWARD(masked_read_rmsnorm_forward_stack_bf16_y_bf16, ep_bf16, ep_bf16, false)

EP_MR_BACKWARD(masked_read_layernorm_backward_stack_f32_dy_f32_dstack_f32, float, float, float, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_f32_dy_f32_dstack_bf16, float, float, ep_bf16, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_f32_dy_bf16_dstack_f32, float, ep_bf16, float, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_f32_dy_bf16_dstack_bf16, float, ep_bf16, ep_bf16, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_bf16_dy_f32_dstack_f32, ep_bf16, float, float, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_bf16_dy_f32_dstack_bf16, ep_bf16, float, ep_bf16, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_bf16_dy_bf16_dstack_f32, ep_bf16, ep_bf16, float, true)
EP_MR_BACKWARD(masked_read_layernorm_backward_stack_bf16_dy_bf16_dstack_bf16, ep_bf16, ep_bf16, ep_bf16, true)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_f32_dy_f32_dstack_f32, float, float, float, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_f32_dy_f32_dstack_bf16, float, float, ep_bf16, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_f32_dy_bf16_dstack_f32, float, ep_bf16, float, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_f32_dy_bf16_dstack_bf16, float, ep_bf16, ep_bf16, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_bf16_dy_f32_dstack_f32, ep_bf16, float, float, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_bf16_dy_f32_dstack_bf16, ep_bf16, float, ep_bf16, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_bf16_dy_bf16_dstack_f32, ep_bf16, ep_bf16, float, false)
EP_MR_BACKWARD(masked_read_rmsnorm_backward_stack_bf16_dy_bf16_dstack_bf16, ep_bf16, ep_bf16, ep_bf16, false)
