using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// A cuBLAS handle on a context's stream, with our row-major products mapped onto cuBLAS's column-major
/// ones (row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so the operands swap). f32 inputs
/// run in true f32 by default, and use TF32 tensor cores only when <see cref="AllowTf32"/> is set; bf16
/// inputs use bf16 tensor cores; accumulation is f32 in all.
/// </summary>
public sealed unsafe class Cublas : IDisposable
{
    /// <summary>The workspace we give cuBLAS, so that it never allocates during a graph capture.</summary>
    public const long WorkspaceBytes = 32L << 20;

    private readonly CudaContext _context;
    private readonly DeviceBuffer _workspace;
    private IntPtr _handle;

    internal Cublas(CudaContext context)
    {
        _context = context;
        CudaLibraryResolver.Require(CudaLibraryResolver.Cublas);
        context.MakeCurrent();
        IntPtr handle;
        CudaCheck.Cublas(CublasApi.cublasCreate(&handle), "cublasCreate_v2");
        _handle = handle;
        CudaCheck.Cublas(CublasApi.cublasSetStream(handle, context.Stream.Handle), "cublasSetStream_v2");
        _workspace = context.Pool.Rent(WorkspaceBytes);
        CudaCheck.Cublas(CublasApi.cublasSetWorkspace(handle, _workspace.DeviceAddress, (nuint)WorkspaceBytes), "cublasSetWorkspace_v2");
    }

    /// <summary>
    /// Whether f32 products may use TF32 tensor cores (10-bit mantissa inputs, f32 accumulation). Off by default:
    /// an f32 run means f32 products, as the reference's fp32 runs; TF32 is an explicit opt-in for speed.
    /// </summary>
    public bool AllowTf32 { get; set; }

    /// <summary>The cuBLAS version as "13.1.0".</summary>
    public static string Version()
    {
        CudaLibraryResolver.Require(CudaLibraryResolver.Cublas);
        int major, minor, patch;
        CudaCheck.Cublas(CublasApi.cublasGetProperty(CublasApi.PropertyMajor, &major), "cublasGetProperty");
        CudaCheck.Cublas(CublasApi.cublasGetProperty(CublasApi.PropertyMinor, &minor), "cublasGetProperty");
        CudaCheck.Cublas(CublasApi.cublasGetProperty(CublasApi.PropertyPatch, &patch), "cublasGetProperty");
        return $"{major}.{minor}.{patch}";
    }

    /// <summary>The cuBLASLt version as "130100" (cublasLtGetVersion).</summary>
    public static long LtVersion()
    {
        CudaLibraryResolver.Require(CudaLibraryResolver.CublasLt);
        return (long)CublasLtApi.cublasLtGetVersion();
    }

    /// <summary>
    /// Row-major C[m,n] = alpha·op(A)·op(B) + beta·C with A [m,k] ([k,m] when <paramref name="transA"/>),
    /// B [k,n] ([n,k] when <paramref name="transB"/>); leading dimensions are the stored row lengths.
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, DType aType, int lda,
        ulong b, DType bType, int ldb, float beta, ulong c, DType cType, int ldc)
    {
        if (aType != bType) throw new ShapeException($"GEMM operands differ in dtype: {aType.Name()} and {bType.Name()}");
        if (_context.Work is not null && !_context.Issues(new OpSignature("cublasGemmEx").Add(transA).Add(transB).Add(m).Add(n).Add(k).Add(alpha)
                .Add(a).Add((int)aType).Add(lda).Add(b).Add(ldb).Add(beta).Add(c).Add((int)cType).Add(ldc).Add(AllowTf32)))
            return;
        _context.MakeCurrent();
        int compute = aType == DType.F32 && AllowTf32 ? CublasApi.Compute32FFastTf32 : CublasApi.Compute32F;
        CudaCheck.Cublas(CublasApi.cublasGemmEx(_handle, transB ? CublasApi.OpT : CublasApi.OpN, transA ? CublasApi.OpT : CublasApi.OpN,
            n, m, k, &alpha, b, DataType(bType), ldb, a, DataType(aType), lda, &beta, c, DataType(cType), ldc, compute, CublasApi.GemmDefault),
            $"cublasGemmEx {m}x{n}x{k}");
    }

    /// <summary>
    /// <paramref name="batch"/> row-major products as <see cref="Gemm"/>, the i-th operands at a + i·strideA,
    /// b + i·strideB, c + i·strideC (strides in elements).
    /// </summary>
    public void GemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ulong a, DType aType, int lda, long strideA, ulong b, DType bType, int ldb, long strideB,
        float beta, ulong c, DType cType, int ldc, long strideC, int batch)
    {
        if (aType != bType) throw new ShapeException($"GEMM operands differ in dtype: {aType.Name()} and {bType.Name()}");
        if (_context.Work is not null && !_context.Issues(new OpSignature("cublasGemmStridedBatchedEx").Add(transA).Add(transB).Add(m).Add(n).Add(k)
                .Add(alpha).Add(a).Add((int)aType).Add(lda).Add(strideA).Add(b).Add(ldb).Add(strideB).Add(beta).Add(c).Add((int)cType).Add(ldc)
                .Add(strideC).Add(batch).Add(AllowTf32)))
            return;
        _context.MakeCurrent();
        int compute = aType == DType.F32 && AllowTf32 ? CublasApi.Compute32FFastTf32 : CublasApi.Compute32F;
        CudaCheck.Cublas(CublasApi.cublasGemmStridedBatchedEx(_handle, transB ? CublasApi.OpT : CublasApi.OpN, transA ? CublasApi.OpT : CublasApi.OpN,
            n, m, k, &alpha, b, DataType(bType), ldb, strideB, a, DataType(aType), lda, strideA, &beta, c, DataType(cType), ldc, strideC,
            batch, compute, CublasApi.GemmDefault), $"cublasGemmStridedBatchedEx {batch}x{m}x{n}x{k}");
    }

    private static int DataType(DType dtype) => dtype switch
    {
        DType.F32 => CublasApi.DataF32,
        DType.BF16 => CublasApi.DataBF16,
        DType.F16 => CublasApi.DataF16,
        _ => throw new ShapeException($"cuBLAS cannot take {dtype.Name()}"),
    };

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        _context.MakeCurrent();
        CudaCheck.Cublas(CublasApi.cublasDestroy(_handle), "cublasDestroy_v2");
        _handle = IntPtr.Zero;
        _workspace.Dispose();
    }
}
