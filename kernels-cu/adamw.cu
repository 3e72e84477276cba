// AdamW update of the mask logits and Lagrange multipliers, as torch.optim.AdamW: decoupled decay, then
// the moment updates, then the bias-corrected step. Each element runs AdamWMath's operations in its order and
// precision (f32 decay, moments formed in double and stored in f32, the step in double), so the device and the
// host agree to the rounding of an occasional contracted multiply-add. stepSize = lr/(1 − β1^t) and
// sqrtC2 = √(1 − β2^t) come from the host. Elementwise; 256 threads per block, grid-stride loop.
#include "prelude.cuh"

extern "C" __global__ void adamw_step(float* p, const float* g, float* m, float* v, long long n,
                                      float decay, double stepSize, double sqrtC2, double beta1, double beta2, double eps,
                                      int maximize)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float grad = maximize ? -g[i] : g[i];
        float pi = p[i] * decay;
        float mi = (float)(beta1 * (double)m[i] + (1.0 - beta1) * (double)grad);
        float vi = (float)(beta2 * (double)v[i] + (1.0 - beta2) * (double)grad * (double)grad);
        m[i] = mi;
        v[i] = vi;
        double denom = sqrt((double)vi) / sqrtC2 + eps;
        p[i] = pi - (float)(stepSize * (double)mi / denom);
    }
}
