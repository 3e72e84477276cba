using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// <see cref="IGradientKernels"/> on a GPU: vector.cu, random.cu, norm_backward.cu, activation_backward.cu,
/// swiglu_backward.cu, rope.cu's rope_backward and attention_backward.cu, on device tensors of this context
/// with f32 or bf16 storage, every tensor of one call in the same dtype, f32 accumulation. The math is that of
/// <c>CpuGradientKernels</c> (the oracle); every backward adds into its gradients. Calls queue work on the
/// context's stream and return. Not for concurrent callers.
/// </summary>
public sealed partial class CudaGradientKernels : IGradientKernels, IDisposable
{
    /// <summary>norm_backward.cu gives each row one warp; a block holds this many rows.</summary>
    private const int NormRowsPerBlock = 8;
    private const int RopeBlock = 128;

    private readonly CudaContext _context;
    private readonly DeviceStaging _staging;
    private readonly TypedKernel _fill, _fillNormal, _scale, _axpy, _scaleBy;
    private readonly TypedKernel _layerNorm, _rmsNorm;
    private readonly TypedKernel _geluErf, _geluTanh, _relu, _silu, _swiGlu;
    private readonly TypedKernel _rope;

    public CudaGradientKernels(CudaContext context, CudaKernelModules modules)
    {
        _context = context;
        _staging = new DeviceStaging(context);
        _fill = new TypedKernel(modules, KernelEntryPoints.Fill);
        _fillNormal = new TypedKernel(modules, KernelEntryPoints.FillNormal);
        _scale = new TypedKernel(modules, KernelEntryPoints.Scale);
        _axpy = new TypedKernel(modules, KernelEntryPoints.Axpy);
        _scaleBy = new TypedKernel(modules, KernelEntryPoints.ScaleBy);
        _layerNorm = new TypedKernel(modules, KernelEntryPoints.LayerNormBackward);
        _rmsNorm = new TypedKernel(modules, KernelEntryPoints.RmsNormBackward);
        _geluErf = new TypedKernel(modules, KernelEntryPoints.GeluErfBackward);
        _geluTanh = new TypedKernel(modules, KernelEntryPoints.GeluTanhBackward);
        _relu = new TypedKernel(modules, KernelEntryPoints.ReluBackward);
        _silu = new TypedKernel(modules, KernelEntryPoints.SiluBackward);
        _swiGlu = new TypedKernel(modules, KernelEntryPoints.SwiGluBackward);
        _rope = new TypedKernel(modules, KernelEntryPoints.RopeBackward);
        _attentionRows = new TypedKernel(modules, KernelEntryPoints.AttentionBackwardRows);
        _attentionKeys = new TypedKernel(modules, KernelEntryPoints.AttentionBackwardKeys);
    }

    public void Fill(Tensor x, float value)
    {
        var dtype = CudaTensorChecks.CommonDType(_context, "fill", x);
        LaunchElementwise(_fill.For(dtype), x.Count, x, value, x.Count);
    }

    public void FillNormal(Tensor x, float std, ulong seed)
    {
        var dtype = CudaTensorChecks.CommonDType(_context, "fill normal", x);
        LaunchElementwise(_fillNormal.For(dtype), x.Count, x, std, seed, x.Count);
    }

    public void Scale(Tensor x, float alpha, Tensor y)
    {
        KernelChecks.Require(x.Count == y.Count, $"scale: x {x.Shape}, y {y.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, "scale", x, y);
        LaunchElementwise(_scale.For(dtype), y.Count, x, y, alpha, y.Count);
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        KernelChecks.Require(x.Count == y.Count, $"axpy: x {x.Shape}, y {y.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, "axpy", x, y);
        LaunchElementwise(_axpy.For(dtype), y.Count, x, y, alpha, y.Count);
    }

    public void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate)
    {
        KernelChecks.Require(x.Count == y.Count && factor.Count > 0 && x.Count % factor.Count == 0 && factor.DType == DType.F32,
            $"scale by: x {x.Shape}, factor {factor.Shape} ({factor.DType.Name()}, one f32 element per row of x), y {y.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, "scale by", x, y);
        CudaTensorChecks.RequireHere(_context, "scale by", factor);
        LaunchElementwise(_scaleBy.For(dtype), y.Count, x, y, factor, alpha, accumulate ? 1 : 0, y.Count, y.Count / factor.Count);
    }

    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) =>
        NormBackward(_layerNorm, "layernorm backward", x, gamma, dy, dx, eps);

    public void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) =>
        NormBackward(_rmsNorm, "rmsnorm backward", x, gamma, dy, dx, eps);

    /// <summary>One warp per row, <see cref="NormRowsPerBlock"/> rows per block, as the forward norms.</summary>
    private void NormBackward(TypedKernel kernel, string op, Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && dy.Count == x.Count && dx.Count == x.Count,
            $"{op}: x {x.Shape}, gamma {gamma.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, op, x, gamma, dy, dx);
        if (rows == 0 || d == 0) return;
        Launch(kernel.For(dtype), new Dim3(Dim3.Blocks(rows, NormRowsPerBlock)), 32 * NormRowsPerBlock, 0, x, gamma, dy, dx, rows, d, eps);
    }

    public void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx)
    {
        KernelChecks.Require(dy.Count == x.Count && dx.Count == x.Count, $"activation backward: x {x.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        var kernel = activation switch
        {
            Activation.GeluErf => _geluErf,
            Activation.GeluTanh => _geluTanh,
            Activation.Relu => _relu,
            Activation.Silu => _silu,
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
        var dtype = CudaTensorChecks.CommonDType(_context, "activation backward", x, dy, dx);
        LaunchElementwise(kernel.For(dtype), x.Count, x, dy, dx, x.Count);
    }

    public void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp)
    {
        KernelChecks.Require(gate.Count == up.Count && dy.Count == up.Count && (dGate is null || dGate.Count == up.Count)
            && (dUp is null || dUp.Count == up.Count), $"swiglu backward: gate {gate.Shape}, up {up.Shape}, dy {dy.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, "swiglu backward", gate, up, dy, dGate, dUp);
        if (dGate is null && dUp is null) return;
        LaunchElementwise(_swiGlu.For(dtype), up.Count, gate, up, dy, dGate, dUp, up.Count);
    }

    /// <summary>rope.cu's rotation by the opposite angle: one block per (batch, token) row, its cos/sin pairs in headDim·4 bytes of shared memory.</summary>
    public void RopeBackward(Tensor grad, int startPos, float theta)
    {
        KernelChecks.Require(grad.Shape.Rank == 4 && grad.Shape[3] % 2 == 0, $"rope backward: x must be [B,T,H,even headDim], got {grad.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, "rope backward", grad);
        int batch = grad.Shape[0], tokens = grad.Shape[1], heads = grad.Shape[2], headDim = grad.Shape[3];
        if ((long)batch * tokens == 0 || heads == 0 || headDim == 0) return;
        Launch(_rope.For(dtype), new Dim3(Dim3.Blocks((long)batch * tokens, 1)), RopeBlock, headDim * sizeof(float),
            grad, tokens, heads, headDim, startPos, theta);
    }


    private void Launch(CudaFunction function, Dim3 grid, Dim3 block, int sharedBytes, params ReadOnlySpan<KernelArg> args) =>
        function.Launch(_context.Stream, grid, block, sharedBytes, args);

    private void LaunchElementwise(CudaFunction function, long count, params ReadOnlySpan<KernelArg> args) =>
        GridStrideLaunch.Run(_context, function, count, args);

    public void Dispose() => _staging.Dispose();
}
