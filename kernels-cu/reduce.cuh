// Warp and block reductions. Butterfly (xor) shuffles leave the same bits in every lane, so branches on a
// reduced value are uniform across the warp. Block reductions need blockDim.x to be a multiple of 32, are
// called by every thread of the block, and return the result to every thread.
#pragma once
#include "prelude.cuh"

__device__ __forceinline__ float ep_warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset, 32));
    return v;
}

// scratch: 32 floats of shared memory, free for this call (the leading barrier covers its previous use).
__device__ __forceinline__ float ep_block_sum(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = ep_warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return ep_warp_sum(lane < warps ? scratch[lane] : 0.0f);
}
