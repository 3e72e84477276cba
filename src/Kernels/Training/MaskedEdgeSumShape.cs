using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Training;

/// <summary>Shape rules of the masked edge sum, shared by every implementation.</summary>
internal static class MaskedEdgeSumShape
{
    /// <summary>(readers, writers, elements per reader); <paramref name="c"/> is checked when given.</summary>
    public static (int R, int W, int N) Of(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor x, Tensor? c)
    {
        KernelChecks.Require(z.Shape.Rank == 2 && z.Shape[0] > 0 && x.Count % z.Shape[0] == 0, $"masked edge sum: z {z.Shape}, x {x.Shape}");
        int R = z.Shape[0], W = z.Shape[1];
        int N = checked((int)(x.Count / R));
        KernelChecks.Require(d.Count == (long)W * N && (c is null || c.Count == N || c.Count == (long)R * N)
            && (visible.IsEmpty || visible.Length == R), $"masked edge sum: z {z.Shape}, d {d.Shape}, c {c?.Shape}, x {x.Shape}, {visible.Length} visible counts");
        foreach (int v in visible)
            if (v < 0 || v > W) throw new ShapeException($"masked edge sum: a reader sees {v} of {W} writers");
        return (R, W, N);
    }

    public static int Seen(ReadOnlySpan<int> visible, int reader, int writers) => visible.IsEmpty ? writers : visible[reader];
}
