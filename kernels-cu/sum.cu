// The sum of an f32 vector (or of its squares) in double, as a double-float pair: total[0] = (float)S and
// total[1] = (float)(S − total[0]), so total[0] + total[1] read in double holds S to about 48 bits. The
// trainer's sampled sparsity (Σ z) and gradient norm (Σ g²) come back to the host as these two floats.
//
// Launch: one block of 256 threads (the result does not depend on the grid: one block strides over n, each
// thread adds its elements in order, then a fixed tree adds the threads).
#include "element.cuh"

#define EP_SUM_THREADS 256

extern "C" __global__ void vector_sum_f32(const float* x, float* total, int squares, long long n)
{
    __shared__ double partial[EP_SUM_THREADS];
    double sum = 0.0;
    for (long long i = threadIdx.x; i < n; i += EP_SUM_THREADS)
    {
        double v = (double)x[i];
        sum += squares ? v * v : v;
    }
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (int half = EP_SUM_THREADS / 2; half > 0; half >>= 1)
    {
        if ((int)threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0)
    {
        float hi = (float)partial[0];
        total[0] = hi;
        total[1] = (float)(partial[0] - (double)hi);
    }
}
