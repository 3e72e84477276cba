// The unfused masked edge sum X[R,N] = C + Zᵛ·D: these kernels prepare and finish around the cuBLAS
// product (Zᵛ·D, and dX·Dᵀ / Zᵛᵀ·dX in the backward). Zᵛ is Z with the entries a reader cannot see
// (w ≥ visible[r]) set to 0. The fused version that never materializes X is masked_read.cu.
#include "prelude.cuh"

// x[r, :] = c[:] for r < readers (c one row of n elements). Grid (ceil(n/256), readers), 256 threads.
extern "C" __global__ void masked_edge_sum_broadcast(const float* c, float* x, long long n, int readers)
{
    long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (i < n) x[(long long)blockIdx.y * n + i] = c[i];
}

// zv[r, w] = w < visible[r] ? z[r, w] : 0. One thread per entry: grid ceil(R·W/256), 256 threads.
extern "C" __global__ void masked_edge_sum_visible(const float* z, const int* visible, float* zv, int readers, int writers)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= readers * writers) return;
    int r = i / writers, w = i % writers;
    zv[i] = w < visible[r] ? z[i] : 0.0f;
}

// dz[r, w] += full[r, w] where w < visible[r] (full = dX·Dᵀ). Grid ceil(R·W/256), 256 threads.
extern "C" __global__ void masked_edge_sum_accumulate_visible(const float* full, const int* visible, float* dz, int readers, int writers)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= readers * writers) return;
    int r = i / writers, w = i % writers;
    if (w < visible[r]) dz[i] += full[i];
}
