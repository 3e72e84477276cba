// Warp reductions beside the prelude's ep_warp_sum. Butterfly (xor) shuffles leave the same bits in every
// lane, so a branch on a reduced value is uniform across the warp.
#pragma once
#ifndef EP_REDUCE_CUH
#define EP_REDUCE_CUH
#include "element.cuh"

__device__ __forceinline__ float ep_warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset, 32));
    return v;
}

#endif
