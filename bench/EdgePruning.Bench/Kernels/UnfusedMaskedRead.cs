using EdgePruning.Kernels;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The masked read as the trainer composes it today (<c>EdgeMaskedModel.Read</c> and <c>ReaderNorm</c>), the
/// baseline of the fused kernels. Forward: C copied into each reader's row of x [R, N·d], x += z·D (one
/// GEMM), then the norm of x into y. Backward: dX = 0, the norm's backward into dX (recomputing the
/// statistics from x), dz += dX·Dᵀ and dD += zᵀ·dX (two GEMMs), dC += Σ_r dX[r]. Every tensor is in the
/// activations' dtype, as in the trainer: for bf16, z is narrowed per call, C, γ, β, dD and dC are bf16,
/// and dz (f32) receives a bf16 product converted and added.
/// </summary>
public sealed class UnfusedMaskedRead
{
    private readonly IKernelBackend _backend;
    private readonly MaskedReadShape _s;
    private readonly MaskedReadNormKind _kind;
    private readonly float _eps;
    private readonly Tensor _z32, _z, _stack, _corrupted, _gamma, _x, _y;
    private readonly Tensor? _beta;
    private Tensor? _dy, _dx, _dz, _dStack, _dCorrupted, _product, _wide;

    /// <summary>
    /// Takes the fused path's inputs (z f32 [R,U], D [U,N,d] in the activations' dtype, C, γ, β f32) and
    /// makes the copies and buffers the composition needs on <paramref name="backend"/>.
    /// </summary>
    public UnfusedMaskedRead(IKernelBackend backend, MaskedReadShape shape, Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm)
    {
        _backend = backend;
        _s = shape;
        _kind = norm.Kind;
        _eps = norm.Eps;
        var dtype = stack.DType;
        _z32 = z;
        _z = Narrow(z, dtype);
        _stack = stack.Reshape(shape.Writers, shape.Tokens * shape.Dim);
        _corrupted = Narrow(corrupted, dtype);
        _gamma = Narrow(norm.Gamma, dtype);
        _beta = norm.Beta is null ? null : Narrow(norm.Beta, dtype);
        _x = backend.Empty(dtype, shape.Readers, shape.Tokens * shape.Dim);
        _y = backend.Empty(dtype, shape.Readers, shape.Tokens * shape.Dim);
    }

    public Tensor Output => _y;

    public void Forward()
    {
        var k = _backend.Kernels;
        if (_z != _z32) k.Copy(_z32, _z);
        for (int r = 0; r < _s.Readers; r++) k.Copy(_corrupted, _x.Row(r));
        if (_s.Writers > 0) k.Gemm(_z, false, _stack, false, _x, 1f, 1f);
        var rows = _x.Reshape(_s.Rows, _s.Dim);
        var y = _y.Reshape(_s.Rows, _s.Dim);
        if (_kind == MaskedReadNormKind.LayerNorm) k.LayerNorm(rows, _gamma, _beta, y, _eps);
        else k.RmsNorm(rows, _gamma, y, _eps);
    }

    /// <summary>
    /// Runs the forward once (the backward reads its x) and makes the gradient buffers: dY from
    /// <paramref name="outputGrad"/> (converted to the activations' dtype), dz [R,U] f32, dD and dC zero.
    /// </summary>
    public void PrepareBackward(Tensor outputGrad)
    {
        Forward();
        var dtype = _x.DType;
        int nd = _s.Tokens * _s.Dim;
        _dy = _backend.Empty(dtype, _s.Readers, nd);
        _backend.Kernels.Copy(outputGrad, _dy);
        _dx = _backend.Empty(dtype, _s.Readers, nd);
        _dz = Zeros(DType.F32, _s.Readers, _s.Writers);
        _dStack = Zeros(dtype, _s.Writers, nd);
        _dCorrupted = Zeros(dtype, nd);
        if (dtype != DType.F32)
        {
            _product = _backend.Empty(dtype, _s.Readers, _s.Writers);
            _wide = _backend.Empty(DType.F32, _s.Readers, _s.Writers);
        }
        _backend.Synchronize();
    }

    public void Backward()
    {
        var k = _backend.Kernels;
        var g = _backend.Gradients;
        var dx = _dx ?? throw new InvalidOperationException("call PrepareBackward first");
        g.Fill(dx, 0f);
        var x = _x.Reshape(_s.Rows, _s.Dim);
        var dy = _dy!.Reshape(_s.Rows, _s.Dim);
        var dxRows = dx.Reshape(_s.Rows, _s.Dim);
        if (_kind == MaskedReadNormKind.LayerNorm) g.LayerNormBackward(x, _gamma, dy, dxRows, _eps);
        else g.RmsNormBackward(x, _gamma, dy, dxRows, _eps);
        if (_s.Writers > 0)
        {
            if (_product is null) k.Gemm(dx, false, _stack, true, _dz!, 1f, 1f);
            else
            {
                k.Gemm(dx, false, _stack, true, _product);
                k.Copy(_product, _wide!);
                k.Add(_dz!, _wide!, _dz!);
            }
            k.Gemm(_z, true, dx, false, _dStack!, 1f, 1f);
        }
        for (int r = 0; r < _s.Readers; r++) k.Add(_dCorrupted!, dx.Row(r), _dCorrupted!);
    }

    private Tensor Narrow(Tensor source, DType dtype)
    {
        if (source.DType == dtype) return source;
        var narrow = _backend.Empty(dtype, source.Shape.Dims.ToArray());
        _backend.Kernels.Copy(source, narrow);
        return narrow;
    }

    private Tensor Zeros(DType dtype, params int[] dims)
    {
        var t = _backend.Empty(dtype, dims);
        _backend.Gradients.Fill(t, 0f);
        return t;
    }
}
