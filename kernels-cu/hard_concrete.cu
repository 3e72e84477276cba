// Hard-concrete masks (Louizos et al.; constants of Edge Pruning's l0.py): the sampled mask and the
// gradient into its log alpha. Computed in double in the operation order of HardConcreteMath (the host
// oracle) and rounded to f32 once, so a device step and a host step on the same noise give the same masks
// up to the last bit of an occasional log or exp. Elementwise; launch with 256 threads per block and
// enough blocks to cover n (grid-stride loop, so any grid size is correct).
#include "prelude.cuh"

#define EP_HC_LEFT (-0.1)
#define EP_HC_RIGHT 1.1
#define EP_HC_BETA (2.0 / 3.0)

__device__ __forceinline__ double ep_sigmoid(double x)
{
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

// s = σ((log u − log(1−u) + logα)/β); returns l + (r−l)·s.
__device__ __forceinline__ double ep_hc_stretched(float logAlpha, float u, double* s)
{
    double ud = (double)u;
    *s = ep_sigmoid((log(ud) - log(1.0 - ud) + (double)logAlpha) / EP_HC_BETA);
    return EP_HC_LEFT + (EP_HC_RIGHT - EP_HC_LEFT) * *s;
}

// z[i] = clamp(stretched, 0, 1).
extern "C" __global__ void hard_concrete_forward(const float* logAlpha, const float* u, float* z, long long n)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        double s;
        double t = ep_hc_stretched(logAlpha[i], u[i], &s);
        z[i] = (float)(t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t));
    }
}

// dLogAlpha[i] += (dz[i] + dzShift)·(r−l)·s(1−s)/β where 0 < stretched < 1 (the clamp is flat elsewhere). dzShift is
// added in f32 first: the trainer's sparsity term, the same for every mask.
extern "C" __global__ void hard_concrete_backward(const float* logAlpha, const float* u, const float* dz, float dzShift, float* dLogAlpha,
                                                  long long n)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        double s;
        double t = ep_hc_stretched(logAlpha[i], u[i], &s);
        float g = dz[i] + dzShift;
        if (t > 0.0 && t < 1.0) dLogAlpha[i] += (float)((double)g * (EP_HC_RIGHT - EP_HC_LEFT) * s * (1.0 - s) / EP_HC_BETA);
    }
}
