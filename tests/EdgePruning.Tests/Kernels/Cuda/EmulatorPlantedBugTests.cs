using System.Runtime.InteropServices;
using EdgePruning.Kernels;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Tests.Kernels.Cuda;

/// <summary>
/// The CUDA emulator catches the bugs that reading and PTX compile checks cannot: copies of our kernel files with one
/// bug planted each (a dropped barrier, an unguarded shared-memory write, a wrong shuffle offset, an off-by-one bound
/// on an odd size) fail their check against the host, and the unchanged files pass the same check. Each run is done
/// in thread order and in the race mode (threads of a block reversed between barriers, results compared).
/// </summary>
public sealed unsafe class EmulatorPlantedBugTests
{
    private static readonly string[] Options = ["--gpu-architecture=sm_90", "-std=c++17"];

    private static CudaFunction Load(CudaContext context, string file, string entry, Func<string, string, string>? plant = null)
    {
        string Planted(string name) => plant is null ? KernelSources.Read(name) : plant(name, KernelSources.Read(name));
        var headers = KernelSources.Headers.Select(h => (h, Planted(h))).ToArray();
        var image = NvrtcCompiler.Compile(file, Planted(file), headers, Options);
        return new CudaModule(context, image, file).Function(entry);
    }

    private static void RaceMode(int mode)
    {
        var (driver, _) = CudaLibraryResolver.Require(CudaLibraryResolver.Driver);
        var set = (delegate* unmanaged<int, ulong, void>)NativeLibrary.GetExport(driver, "ep_emu_set_race_mode");
        set(mode, 7);
    }

    /// <summary>Runs <paramref name="check"/> in thread order and in the race mode; the first failure's text, or null.</summary>
    private static string? RunBothOrders(Func<string?> check)
    {
        try
        {
            foreach (int mode in new[] { 0, 1 })
            {
                RaceMode(mode);
                string? failure;
                try
                {
                    failure = check();
                }
                catch (CudaException e)
                {
                    failure = e.Message;
                }
                if (failure is not null) return (mode == 1 ? "race mode: " : "") + failure;
            }
            return null;
        }
        finally
        {
            RaceMode(0);
        }
    }

    private static string Replace(string text, string what, string with, string file)
    {
        int at = text.IndexOf(what, StringComparison.Ordinal);
        Assert.True(at >= 0, $"the bug cannot be planted: '{what}' is not in {file} any more");
        return text[..at] + with + text[(at + what.Length)..];
    }

    // ---- softmax: one block per row ------------------------------------------------------------------------------
    private static string? SoftmaxCheck(Func<string, string, string>? plant)
    {
        using var context = CudaContext.Open();
        var softmax = Load(context, "softmax.cu", "softmax_forward_f32", plant);
        const int rows = 3, cols = 1000;
        var random = new Random(5);
        var values = Enumerable.Range(0, rows * cols).Select(_ => (float)(random.NextDouble() * 8 - 4)).ToArray();
        var x = context.Upload(Tensor.FromData(values, rows, cols));
        softmax.Launch(context.Stream, new Dim3(rows), new Dim3(1024), 0, x, cols);
        var got = context.Download(x).ToArray();
        CudaContext.Release(x);
        for (int r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * cols, cols);
            float max = row.ToArray().Max();
            double sum = row.ToArray().Sum(v => Math.Exp(v - max));
            for (int i = 0; i < cols; i++)
            {
                double expected = Math.Exp(row[i] - max) / sum;
                if (!(Math.Abs(got[r * cols + i] - expected) <= 1e-6 + 1e-4 * expected))
                    return $"softmax row {r} column {i}: {got[r * cols + i]} against {expected}";
            }
        }
        return null;
    }

    // ---- kl_rows: block reductions through shared scratch --------------------------------------------------------
    private static string? KlCheck(Func<string, string, string>? plant)
    {
        using var context = CudaContext.Open();
        var kl = Load(context, "kl.cu", "kl_rows", plant);
        const int rows = 4, vocab = 700;
        var random = new Random(9);
        float[] Logits() => Enumerable.Range(0, rows * vocab).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        var fullValues = Logits();
        var circuitValues = Logits();
        var full = context.Upload(Tensor.FromData(fullValues, rows, vocab));
        var circuit = context.Upload(Tensor.FromData(circuitValues, rows, vocab));
        using var rowIds = context.Rent(rows * sizeof(int));
        context.CopyToDevice<int>(Enumerable.Range(0, rows).ToArray(), rowIds.DeviceAddress);
        var rowKl = context.Zeros(DType.F32, rows);
        var gradient = context.Zeros(DType.F32, rows, vocab);
        kl.Launch(context.Stream, new Dim3(rows), new Dim3(256), 0, full, circuit, rowIds.DeviceAddress, 0UL, vocab, vocab, rowKl, gradient, 1.0f);
        var got = context.Download(rowKl).ToArray();
        foreach (var t in new[] { full, circuit, rowKl, gradient }) CudaContext.Release(t);
        for (int r = 0; r < rows; r++)
        {
            double LogZ(float[] v) { double m = v.Skip(r * vocab).Take(vocab).Max(); return m + Math.Log(v.Skip(r * vocab).Take(vocab).Sum(x => Math.Exp(x - m))); }
            double zf = LogZ(fullValues), zc = LogZ(circuitValues), expected = 0;
            for (int i = 0; i < vocab; i++)
            {
                double lf = fullValues[r * vocab + i] - zf, lc = circuitValues[r * vocab + i] - zc;
                expected += Math.Exp(lf) * (lf - lc);
            }
            if (!(Math.Abs(got[r] - expected) <= 1e-4 + 1e-4 * Math.Abs(expected))) return $"kl row {r}: {got[r]} against {expected}";
        }
        return null;
    }

    // ---- vector_fill: the grid-stride loop of element.cuh ---------------------------------------------------------
    private static string? FillCheck(Func<string, string, string>? plant)
    {
        using var context = CudaContext.Open();
        var fill = Load(context, "vector.cu", "vector_fill_f32", plant);
        const long n = 1023; // odd: its end is not the end of a larger block
        var allocator = new DriverAllocator(context);
        ulong x = allocator.Allocate(n * sizeof(float));
        try
        {
            fill.Launch(context.Stream, new Dim3(4), new Dim3(256), 0, x, 2.5f, n);
            var values = new float[n];
            context.CopyToHost<float>(x, values);
            int wrong = Array.FindIndex(values, v => v != 2.5f);
            return wrong >= 0 ? $"vector_fill left {values[wrong]} at {wrong}" : null;
        }
        finally
        {
            allocator.Free(x);
        }
    }

    [EmulatedCudaFact]
    public void UnchangedKernels_PassInThreadOrderAndInTheRaceMode()
    {
        Assert.Null(RunBothOrders(() => SoftmaxCheck(null)));
        Assert.Null(RunBothOrders(() => KlCheck(null)));
        Assert.Null(RunBothOrders(() => FillCheck(null)));
    }

    [EmulatedCudaFact]
    public void ADroppedSyncthreads_IsCaught()
    {
        var failure = RunBothOrders(() => SoftmaxCheck((file, text) =>
            file == "softmax.cu" ? Replace(text, "    __syncthreads();\n", "", file) : text));
        Assert.NotNull(failure);
    }

    [EmulatedCudaFact]
    public void AnUnguardedSharedMemoryWrite_IsCaught()
    {
        // The first barrier of a block reduction keeps a warp from overwriting the scratch the previous reduction still reads.
        var failure = RunBothOrders(() => KlCheck((file, text) =>
            file == "kl.cu" ? Replace(text, "    __syncthreads();\n    if (lane == 0) scratch[warp] = v;", "    if (lane == 0) scratch[warp] = v;", file) : text));
        Assert.NotNull(failure);
    }

    [EmulatedCudaFact]
    public void AWrongShuffleOffset_IsCaught()
    {
        var failure = RunBothOrders(() => KlCheck((file, text) =>
            file == "prelude.cuh" ? Replace(text, "v += __shfl_xor_sync(0xffffffffu, v, offset, 32);", "v += __shfl_xor_sync(0xffffffffu, v, offset ^ 1, 32);", file) : text));
        Assert.NotNull(failure);
    }

    [EmulatedCudaFact]
    public void AnOffByOneBound_OnAnOddSize_IsAnIllegalAddressNamingTheKernel()
    {
        var failure = RunBothOrders(() => FillCheck((file, text) =>
            file == "element.cuh" ? Replace(text, "i < (n); i +=", "i <= (n); i +=", file) : text));
        Assert.NotNull(failure);
        Assert.Contains("CUDA_ERROR_ILLEGAL_ADDRESS", failure);
        Assert.Contains("vector_fill_f32", failure);
        Assert.Contains("past the end", failure);
    }

    [EmulatedCudaFact]
    public void PoolBlocks_AreHeldToTheBytesInUse_AnOverrunInsideTheRoundingAndAUseAfterReturnAreCaught()
    {
        using var context = CudaContext.Open();
        var planted = Load(context, "vector.cu", "vector_fill_f32", (file, text) =>
            file == "element.cuh" ? Replace(text, "i < (n); i +=", "i <= (n); i +=", file) : text);
        const long n = 1023; // 4,092 bytes in a 4,096-byte pool block
        var buffer = context.Pool.Rent(n * sizeof(float));
        Assert.True(buffer.BlockBytes > n * sizeof(float));
        planted.Launch(context.Stream, new Dim3(4), new Dim3(256), 0, buffer.DeviceAddress, 1f, n);
        var overrun = Assert.Throws<CudaException>(context.Synchronize);
        Assert.Contains("past the end", overrun.Message);
        Assert.Contains("4092 bytes in use", overrun.Message);

        var fill = Load(context, "vector.cu", "vector_fill_f32");
        ulong address = buffer.DeviceAddress;
        buffer.Dispose(); // back to the pool, which keeps the block cached
        fill.Launch(context.Stream, new Dim3(4), new Dim3(256), 0, address, 1f, n);
        var late = Assert.Throws<CudaException>(context.Synchronize);
        Assert.Contains("its memory pool has taken back", late.Message);
    }

    // ---- masked read at a CodeLlama-13B shape: the difference stack's offsets pass 2³¹ ----------------------------
    private static string? MaskedReadAt13BCheck(Func<string, string, string>? plant)
    {
        // 1,640 writers (CodeLlama-13B with e = 0) over 288 tokens (micro-batch 4 × 72) of width 5,120: the bf16 stack is
        // 4.8 GB, and writer 1,639's row starts at element 2.4·10⁹. Only that writer's mask is on, so only its row is read
        // (a writer whose masks are all zero in a reader tile is skipped) and only its pages are ever touched.
        const int writers = 1640, tokens = 288, dim = 5120, live = writers - 1;
        using var context = CudaContext.Open();
        var read = Load(context, "masked_read.cu", "masked_read_rmsnorm_forward_stack_bf16_y_f32", plant);
        var random = new Random(3);
        var rowValues = new float[tokens * dim];
        var corruptedValues = new float[tokens * dim];
        for (int i = 0; i < rowValues.Length; i++)
        {
            rowValues[i] = (float)(random.NextDouble() * 2 - 1);
            corruptedValues[i] = (float)(random.NextDouble() * 0.5);
        }
        var rowBits = Tensor.FromData(rowValues, tokens * dim).To(DType.BF16);
        var gammaValues = Enumerable.Range(0, dim).Select(i => 1f + i % 7 * 0.01f).ToArray();
        var masks = new float[writers];
        masks[live] = 1f;
        using var stack = context.Rent((long)writers * tokens * dim * 2);
        using var z = context.Rent(writers * sizeof(float));
        var corrupted = context.Upload(Tensor.FromData(corruptedValues, tokens, dim));
        var gamma = context.Upload(Tensor.FromData(gammaValues, dim));
        var y = context.Empty(DType.F32, tokens, dim);
        var rstd = context.Empty(DType.F32, tokens);
        context.CopyToDevice<float>(masks, z.DeviceAddress);
        context.CopyToDevice<ushort>(rowBits.AsSpan<ushort>(), stack.DeviceAddress + (ulong)live * tokens * dim * 2);
        read.Launch(context.Stream, new Dim3(tokens), new Dim3(256), 4 * (writers + dim), z.DeviceAddress, stack.DeviceAddress, corrupted, gamma,
            0UL, y, 0UL, rstd, 1, writers, tokens, dim, 1, 1e-5f, tokens);
        var got = context.Download(y).ToArray();
        foreach (var t in new[] { corrupted, gamma, y, rstd }) CudaContext.Release(t);
        var rounded = rowBits.ToArray();
        for (int n = 0; n < tokens; n++)
        {
            double squares = 0;
            for (int i = 0; i < dim; i++) { double x = corruptedValues[n * dim + i] + rounded[n * dim + i]; squares += x * x; }
            double inverse = 1 / Math.Sqrt(squares / dim + 1e-5);
            for (int i = 0; i < dim; i++)
            {
                double expected = (corruptedValues[n * dim + i] + rounded[n * dim + i]) * inverse * gammaValues[i];
                if (!(Math.Abs(got[n * dim + i] - expected) <= 1e-4 + 1e-4 * Math.Abs(expected)))
                    return $"masked read token {n} element {i}: {got[n * dim + i]} against {expected}";
            }
        }
        return null;
    }

    [EmulatedCudaFact]
    public void A32BitIndexProduct_ThatOverflowsAtA13BShape_IsCaught()
    {
        Assert.Null(MaskedReadAt13BCheck(null));
        string? failure;
        try
        {
            failure = MaskedReadAt13BCheck((file, text) => file == "masked_read.cu"
                ? Replace(text, "const long long plane = (long long)tokens * dim;", "const int plane = tokens * dim;", file)
                : text);
        }
        catch (CudaException e)
        {
            failure = e.Message;
        }
        Assert.NotNull(failure);
    }
}
