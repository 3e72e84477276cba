using EdgePruning.Runtime;

namespace EdgePruning.Kernels.MaskedRead;

/// <summary>
/// The sizes of one masked read: <see cref="Readers"/> R, <see cref="Writers"/> U (the writers they see),
/// <see cref="Tokens"/> N (batch·T positions) and <see cref="Dim"/> d, and <see cref="Groups"/> G: a forward with
/// grouped masks z [G,R,U] reads its N tokens as G equal runs of consecutive tokens, run g under z[g] (G copies
/// of a batch, each under its own circuit). The byte counts are the traffic that a call must move at least
/// (every tensor read or written once): the figure of merit of the bandwidth-bound kernels of
/// kernels-cu/masked_read.cu.
/// </summary>
public readonly record struct MaskedReadShape(int Readers, int Writers, int Tokens, int Dim, int Groups = 1)
{
    /// <summary>
    /// z [G,R,U], D [U,N,d], C [N,d], gamma and beta [d] read; y [R,N,d], rstd and (LayerNorm) mean [R,N]
    /// written: 4GRU + s_D·UNd + 4Nd + 4d·(1 + beta) + s_Y·RNd + 4RN·(1 + LayerNorm).
    /// </summary>
    public long ForwardBytes(MaskedReadNorm norm, DType stack, DType output) => ForwardBytes(norm.Kind, norm.Beta is not null, stack, output);

    /// <summary><see cref="ForwardBytes(MaskedReadNorm, DType, DType)"/> from the norm's kind and whether it has a β.</summary>
    public long ForwardBytes(MaskedReadNormKind kind, bool beta, DType stack, DType output)
    {
        long R = Readers, U = Writers, N = Tokens, d = Dim;
        return 4 * Groups * R * U + stack.SizeOf() * U * N * d + 4 * N * d + 4 * d * (beta ? 2 : 1)
            + output.SizeOf() * R * N * d + 4 * R * N * Statistics(kind);
    }

    /// <summary>
    /// z, D, C, gamma, rstd, (LayerNorm) mean and dY [R,N,d] read; dZ [R,U], dD [U,N,d] and dC [N,d] read and
    /// written (they are accumulated into): 4RU + s_D·UNd + 4Nd + 4d + 4RN·(1 + LayerNorm) + s_G·RNd
    /// + 8RU + 2s_dD·UNd + 8Nd.
    /// </summary>
    public long BackwardBytes(MaskedReadNorm norm, DType stack, DType outputGrad, DType stackGrad) =>
        BackwardBytes(norm.Kind, stack, outputGrad, stackGrad);

    /// <summary><see cref="BackwardBytes(MaskedReadNorm, DType, DType, DType)"/> from the norm's kind.</summary>
    public long BackwardBytes(MaskedReadNormKind kind, DType stack, DType outputGrad, DType stackGrad)
    {
        long R = Readers, U = Writers, N = Tokens, d = Dim;
        return 4 * R * U + stack.SizeOf() * U * N * d + 4 * N * d + 4 * d + 4 * R * N * Statistics(kind)
            + outputGrad.SizeOf() * R * N * d + 8 * R * U + 2 * stackGrad.SizeOf() * U * N * d + 8 * N * d;
    }

    /// <summary>
    /// Reads the sizes off z [R,U] (or grouped, [G,R,U]) and C [N,d] (d from the norm) and checks D [U,N,d] against
    /// them, and that G divides N.
    /// </summary>
    public static MaskedReadShape Of(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm)
    {
        int d = norm.Dim, rank = z.Shape.Rank;
        KernelChecks.Require(rank is 2 or 3 && z.DType == DType.F32 && d > 0 && corrupted.DType == DType.F32
            && corrupted.Count % d == 0, $"masked read: z {z} must be f32 [readers, writers] or [groups, readers, writers], C {corrupted} f32 [tokens, {d}]");
        int groups = rank == 3 ? z.Shape[0] : 1;
        var shape = new MaskedReadShape(z.Shape[rank - 2], z.Shape[rank - 1], checked((int)(corrupted.Count / d)), d, groups);
        KernelChecks.Require(groups > 0 && shape.Tokens % groups == 0,
            $"masked read: {shape.Tokens} tokens do not split into the {groups} groups of z {z}");
        KernelChecks.Require(shape.Readers > 0 && stack.Count == shape.StackCount && stack.DType is DType.F32 or DType.BF16,
            $"masked read: D {stack} must be f32 or bf16 [{shape.Writers}, {shape.Tokens}, {d}]");
        return shape;
    }

    /// <summary>U·N·d, the elements of D (and of dD).</summary>
    public long StackCount => (long)Writers * Tokens * Dim;

    /// <summary>R·N·d, the elements of y (and of dY).</summary>
    public long OutputCount => (long)Readers * Tokens * Dim;

    /// <summary>N/G, the consecutive tokens that read one group's masks z[g].</summary>
    public int TokensPerGroup => Tokens / Groups;

    /// <summary>R·N, the (reader, token) rows: the elements of mean and rstd.</summary>
    public int Rows => checked(Readers * Tokens);

    private static int Statistics(MaskedReadNormKind kind) => kind == MaskedReadNormKind.LayerNorm ? 2 : 1;
}
