using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Dot products and axpys of one attention head's rows (a query, key or value vector), the inner loops of the
/// attention kernels and their backward, inlined into them. Whole 16-lane vectors use FMAs; the elements after
/// them (all of a head narrower than 16, as the 8 of a 260K-parameter model) are summed one at a time in index
/// order, and scaled and added in 8 and 4 lanes that round as one element at a time would (a multiply, then an
/// add): the sums of narrow heads are the same bit for bit as a plain loop's, which tie-breaking between
/// equally good edges (the Tracr programs) can depend on.
/// </summary>
internal static unsafe class HeadRows
{
    /// <summary>Σ a[i]·b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Dot(float* a, float* b, int n)
    {
        float s = 0f;
        int i = 0;
        if (n >= 16)
        {
            Vector512<float> acc = default;
            for (; i + 16 <= n; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
            s = Vector512.Sum(acc);
        }
        for (; i < n; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>y += alpha·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float alpha, float* x, float* y, int n)
    {
        var va = Vector512.Create(alpha);
        int i = 0;
        for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.FusedMultiplyAdd(va, Vector512.Load(x + i), Vector512.Load(y + i)), y + i);
        if (i + 8 <= n)
        {
            Vector256.Store(Vector256.Load(y + i) + va.GetLower() * Vector256.Load(x + i), y + i);
            i += 8;
        }
        if (i + 4 <= n)
        {
            Vector128.Store(Vector128.Load(y + i) + va.GetLower().GetLower() * Vector128.Load(x + i), y + i);
            i += 4;
        }
        for (; i < n; i++) y[i] += alpha * x[i];
    }
}
