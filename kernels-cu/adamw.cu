// AdamW update of the mask logits and Lagrange multipliers, as torch.optim.AdamW: decoupled decay, then
// the moment updates, then the bias-corrected step. c1 = 1 − β1^t and sqrtC2 = √(1 − β2^t) come from the
// host (in double). Elementwise; 256 threads per block, grid-stride loop.
#include "prelude.cuh"

extern "C" __global__ void adamw_step(float* p, const float* g, float* m, float* v, long long n,
                                      float lr, float weightDecay, float beta1, float beta2, float eps,
                                      float c1, float sqrtC2, int maximize)
{
    float decay = 1.0f - lr * weightDecay;
    float stepSize = lr / c1;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        float grad = maximize ? -g[i] : g[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) / sqrtC2 + eps);
    }
}
