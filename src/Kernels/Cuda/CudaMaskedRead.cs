using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// Launches the fused masked-read kernels of masked_read.cu: every reader's normed input of a layer from
/// the difference stack and the corrupted sum in one pass, and its backward. Same contract as
/// <see cref="MaskedReadReference"/> (the oracle, <see cref="IMaskedReadKernels"/>): z, C, γ, β, mean, rstd, dZ, dC f32; D and dD f32 or
/// bf16; y and dY f32 or bf16; all on the device; the forward also takes grouped masks z [G,R,U]. A bf16 dD is rounded once per reader tile of the backward (once per call
/// where the tile holds every reader; see masked_read.cu).
/// </summary>
public sealed class CudaMaskedRead(CudaContext context, CudaKernelModules modules) : IMaskedReadKernels
{
    private const int Threads = 256;
    private const int MaxReadersPerForwardBlock = 8;
    private const int StaticSharedBytes = 4 * (2 * 8 * 32 + 2 * 8);

    public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd)
    {
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        KernelChecks.Require(y.Count == s.OutputCount && y.DType is DType.F32 or DType.BF16, $"masked read: y {y} must be f32 or bf16 [{s.Readers}, {s.Tokens}, {s.Dim}]");
        bool layerNorm = norm.Kind == MaskedReadNormKind.LayerNorm;
        KernelChecks.Require((mean is null || (layerNorm && mean.Count == s.Rows)) && (rstd is null || rstd.Count == s.Rows),
            $"masked read: mean {mean}, rstd {rstd} must be f32 [{s.Readers}, {s.Tokens}] (RMSNorm keeps no mean)");
        RequireDevice(z, stack, corrupted, norm.Gamma, norm.Beta, y, mean, rstd);
        int rt = Math.Min(MaxReadersPerForwardBlock, s.Readers);
        while (rt > 1 && ForwardShared(rt, s) + StaticSharedBytes > context.Info.MaxSharedBytesPerBlock) rt--;
        int shared = ForwardShared(rt, s);
        if (shared + StaticSharedBytes > context.Info.MaxSharedBytesPerBlock)
            throw new ShapeException($"masked read: {s.Writers} writers and d = {s.Dim} need {shared:N0} bytes of shared memory; {context.Info.Name} offers {context.Info.MaxSharedBytesPerBlock:N0}");
        string name = $"masked_read_{NormName(norm)}_forward_stack_{DTypeName(stack)}_y_{DTypeName(y)}";
        long blocks = (long)s.Tokens * ((s.Readers + rt - 1) / rt);
        modules.Function("masked_read.cu", name).Launch(context.Stream, checked((uint)blocks), Threads, shared,
            z, stack, corrupted, norm.Gamma, norm.Beta, y, mean, rstd, s.Readers, s.Writers, s.Tokens, s.Dim, rt, norm.Eps,
            Math.Max(1, s.TokensPerGroup));
    }

    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
        Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        MaskedReadChecks.RequireUngrouped(s);
        bool layerNorm = norm.Kind == MaskedReadNormKind.LayerNorm;
        KernelChecks.Require(outputGrad.Count == s.OutputCount && outputGrad.DType is DType.F32 or DType.BF16 && rstd.Count == s.Rows
            && (!layerNorm || mean?.Count == s.Rows), $"masked read backward: dY {outputGrad}, mean {mean}, rstd {rstd}");
        KernelChecks.Require((dz is null || dz.Count == z.Count) && (dStack is null || (dStack.Count == s.StackCount && dStack.DType is DType.F32 or DType.BF16))
            && (dCorrupted is null || dCorrupted.Count == corrupted.Count), $"masked read backward: dz {dz}, dD {dStack} (f32 or bf16), dC {dCorrupted}");
        RequireDevice(z, stack, corrupted, norm.Gamma, mean, rstd, outputGrad, dz, dStack, dCorrupted);
        int rt = s.Readers;
        while (rt > 1 && BackwardShared(rt, s) + StaticSharedBytes > context.Info.MaxSharedBytesPerBlock) rt = (rt + 1) / 2;
        int shared = BackwardShared(rt, s);
        if (shared + StaticSharedBytes > context.Info.MaxSharedBytesPerBlock)
            throw new ShapeException($"masked read backward: {s.Writers} writers and d = {s.Dim} need {shared:N0} bytes of shared memory; {context.Info.Name} offers {context.Info.MaxSharedBytesPerBlock:N0}");
        // Enough blocks for four per SM; more tokens per block means fewer atomic additions into dZ.
        int tokensPerBlock = Math.Max(1, s.Tokens / (4 * context.Info.Multiprocessors));
        // Without a dD the kernel never touches it: any variant serves, the f32 one by name.
        string stackGrad = dStack is null ? "f32" : DTypeName(dStack);
        string name = $"masked_read_{NormName(norm)}_backward_stack_{DTypeName(stack)}_dy_{DTypeName(outputGrad)}_dstack_{stackGrad}";
        modules.Function("masked_read.cu", name).Launch(context.Stream, Dim3.Blocks(s.Tokens, tokensPerBlock), Threads, shared,
            z, stack, corrupted, norm.Gamma, layerNorm ? mean : null, rstd, outputGrad, dz, dStack, dCorrupted,
            s.Readers, s.Writers, s.Tokens, s.Dim, rt, tokensPerBlock);
    }

    private static int ForwardShared(int rt, MaskedReadShape s) => checked(4 * rt * (s.Writers + s.Dim));
    private static int BackwardShared(int rt, MaskedReadShape s) => checked(4 * rt * (2 * s.Writers + s.Dim));

    private static string NormName(MaskedReadNorm norm) => norm.Kind == MaskedReadNormKind.LayerNorm ? "layernorm" : "rmsnorm";
    private static string DTypeName(Tensor t) => t.DType == DType.BF16 ? "bf16" : "f32";

    private static void RequireDevice(params Tensor?[] tensors)
    {
        foreach (var t in tensors)
            if (t is not null && !t.IsOnDevice)
                throw new ShapeException($"masked read: tensor {t.Shape} lives on the host; the fused kernels read device tensors");
    }
}
