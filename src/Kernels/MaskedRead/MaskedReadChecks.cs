using EdgePruning.Runtime;

namespace EdgePruning.Kernels.MaskedRead;

/// <summary>
/// The argument checks of a masked read beyond <see cref="MaskedReadShape.Of"/>, one copy for the host
/// implementations (<see cref="MaskedReadReference"/> and <c>CpuMaskedRead</c>), so that both reject the same
/// calls with the same messages.
/// </summary>
internal static class MaskedReadChecks
{
    /// <summary>y f32 or bf16 [R,N,d]; mean (LayerNorm only) and rstd f32 [R,N] where given.</summary>
    public static void Forward(MaskedReadShape s, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd)
    {
        KernelChecks.Require(y.Count == s.OutputCount && y.DType is DType.F32 or DType.BF16,
            $"masked read: y {y} must be f32 or bf16 [{s.Readers}, {s.Tokens}, {s.Dim}]");
        Statistics(s, norm, mean, rstd);
    }

    /// <summary>
    /// dY f32 or bf16 [R,N,d]; the forward's mean (required for LayerNorm, absent for RMSNorm) and rstd; each
    /// gradient shaped like its input where given: dz and dC f32, dD f32 or bf16.
    /// </summary>
    public static void Backward(MaskedReadShape s, Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean,
        Tensor rstd, Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        RequireUngrouped(s);
        KernelChecks.Require(outputGrad.Count == s.OutputCount && outputGrad.DType is DType.F32 or DType.BF16,
            $"masked read backward: dY {outputGrad} must be f32 or bf16 [{s.Readers}, {s.Tokens}, {s.Dim}]");
        KernelChecks.Require(norm.Kind != MaskedReadNormKind.LayerNorm || mean is not null, "masked read backward: LayerNorm needs the forward's mean");
        Statistics(s, norm, mean, rstd);
        KernelChecks.Require(IsF32(dz, z.Count) && IsF32(dCorrupted, corrupted.Count)
            && (dStack is null || (dStack.Count == s.StackCount && dStack.DType is DType.F32 or DType.BF16)),
            $"masked read backward: dz {dz} and dC {dCorrupted} must be f32, dD {dStack} f32 or bf16, shaped like z {z}, C {corrupted}, D {stack}");
    }

    /// <summary>Grouped masks (one circuit per run of tokens) are for forward passes only: the backward takes z [R,U].</summary>
    public static void RequireUngrouped(MaskedReadShape s) =>
        KernelChecks.Require(s.Groups == 1, $"masked read backward: z has {s.Groups} groups; grouped masks are read forward only");

    private static void Statistics(MaskedReadShape s, MaskedReadNorm norm, Tensor? mean, Tensor? rstd)
    {
        KernelChecks.Require(norm.Kind == MaskedReadNormKind.LayerNorm || mean is null, "masked read: RMSNorm keeps no mean (pass null)");
        KernelChecks.Require(IsF32(mean, s.Rows) && IsF32(rstd, s.Rows),
            $"masked read: mean {mean}, rstd {rstd} must be f32 [{s.Readers}, {s.Tokens}]");
    }

    private static bool IsF32(Tensor? t, long count) => t is null || (t.DType == DType.F32 && t.Count == count);
}
