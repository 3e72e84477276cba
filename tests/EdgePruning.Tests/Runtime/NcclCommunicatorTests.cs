using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Tests.Runtime;

/// <summary>
/// NCCL over two GPUs of this process (two emulated devices under the CUDA emulator): all-reduce and broadcast of device
/// buffers, from one thread driving both ranks and from one thread per GPU, and the errors of misuse.
/// </summary>
public class NcclCommunicatorTests
{
    private static float[] Values(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    private static (CudaContext A, CudaContext B) TwoGpus() => (CudaContext.Open(0), CudaContext.Open(1));

    [TwoGpuFact]
    public void AllReduceSum_OverTwoGpus_GivesEachTheHostSum()
    {
        var (a, b) = TwoGpus();
        using var _ = a;
        using var __ = b;
        var comms = NcclCommunicator.CreateAll([a, b]);
        const int n = 10_007;
        var x = Values(n, 1);
        var y = Values(n, 2);
        var dx = a.Upload(Tensor.FromData(x, n));
        var dy = b.Upload(Tensor.FromData(y, n));

        NcclGroup.Run(() =>
        {
            comms[0].AllReduceSum(dx);
            comms[1].AllReduceSum(dy);
        });

        var sum = x.Zip(y, (p, q) => p + q).ToArray();
        Assert.Equal(sum, a.Download(dx).Span.ToArray());
        Assert.Equal(sum, b.Download(dy).Span.ToArray());
        Assert.Equal((0, 2, 0), (comms[0].Rank, comms[0].Ranks, comms[0].Device));
        Assert.Equal((1, 2, 1), (comms[1].Rank, comms[1].Ranks, comms[1].Device));
        foreach (var c in comms) c.Dispose();
    }

    [TwoGpuFact]
    public void OneThreadPerGpu_JoinsByUniqueId_BroadcastsAndAllReducesEachStep()
    {
        var (a, b) = TwoGpus();
        using var _ = a;
        using var __ = b;
        var id = NcclUniqueId.Create();
        const int n = 513;
        var fromRankOne = Values(n, 3);

        // What a data-parallel step does: each GPU's thread gets the masks from one rank, computes its gradients, and
        // all-reduces them (here twice, as two steps would).
        float[][] Rank(CudaContext context, int rank)
        {
            using var comm = NcclCommunicator.Join(context, id, ranks: 2, rank);
            var masks = context.Upload(Tensor.FromData(rank == 1 ? fromRankOne : new float[n], n));
            comm.Broadcast(masks, root: 1);
            var received = context.Download(masks).Span.ToArray();
            var gradient = context.Upload(Tensor.FromData(Enumerable.Repeat(rank + 1f, n).ToArray(), n));
            comm.AllReduceSum(gradient);
            comm.AllReduceSum(gradient);
            return [received, context.Download(gradient).Span.ToArray()];
        }
        var ranks = new[] { Task.Run(() => Rank(a, 0)), Task.Run(() => Rank(b, 1)) };
        Assert.True(Task.WaitAll(ranks, TimeSpan.FromMinutes(2)), "the ranks did not finish");

        foreach (var r in ranks)
        {
            Assert.Equal(fromRankOne, r.Result[0]);
            Assert.All(r.Result[1], v => Assert.Equal(6f, v)); // (1 + 2), then (3 + 3)
        }
    }

    [TwoGpuFact]
    public void ATensorOnTheOtherGpu_IsRefusedBeforeNccl_AndLeavesTheGroupUnissued()
    {
        var (a, b) = TwoGpus();
        using var _ = a;
        using var __ = b;
        var comms = NcclCommunicator.CreateAll([a, b]);
        var da = a.Upload(Tensor.FromData([1f, 2f], 2));
        var db = b.Upload(Tensor.FromData([10f, 20f], 2));

        var e = Assert.Throws<ShapeException>(() => NcclGroup.Run(() =>
        {
            comms[0].AllReduceSum(da);
            comms[1].AllReduceSum(da);
        }));

        Assert.Equal("ncclAllReduce (rank 1 of 2 on cuda:1): the send tensor [2] lives on cuda:0, not on the rank's cuda:1", e.Message);
        // Rank 0's call never reached NCCL: the next group runs at once, not after a wait for rank 1.
        NcclGroup.Run(() =>
        {
            comms[0].AllReduceSum(da);
            comms[1].AllReduceSum(db);
        });
        Assert.Equal([11f, 22f], a.Download(da).Span.ToArray());
        foreach (var c in comms) c.Dispose();
    }

    [TwoGpuFact]
    public void NcclsOwnError_IsOneLineNamingTheCallAndNcclsErrorString()
    {
        using var a = CudaContext.Open(0);

        var e = Assert.Throws<NcclException>(() => NcclCommunicator.CreateAll([a, a]));

        Assert.StartsWith("ncclCommInitAll over cuda:0, cuda:0 failed with NCCL error 5, invalid usage", e.Message);
        Assert.Equal(5, e.Result);
        Assert.DoesNotContain("\n", e.Message);
    }

    [TwoGpuFact]
    public void WrongArguments_AreOneLineErrors()
    {
        var (a, b) = TwoGpus();
        using var _ = a;
        using var __ = b;
        var comms = NcclCommunicator.CreateAll([a, b]);
        var bf16 = a.Empty(DType.BF16, 4);
        var host = Tensor.FromData([1f], 1);

        Assert.Contains("root 2 is not one of 2 ranks", Assert.Throws<ArgumentException>(() => comms[0].Broadcast(a.Empty(DType.F32, 1), 2)).Message);
        Assert.Contains("the sum runs over f32 tensors, not bf16", Assert.Throws<ShapeException>(() => comms[0].AllReduceSum(bf16)).Message);
        Assert.Contains("lives on host", Assert.Throws<ShapeException>(() => comms[0].AllReduceSum(host)).Message);
        Assert.Contains("rank 2 is not one of 2 ranks", Assert.Throws<ArgumentException>(() => NcclCommunicator.Join(a, default, 2, 2)).Message);
        comms[0].Dispose();
        Assert.Throws<ObjectDisposedException>(() => comms[0].AllReduceSum(a.Empty(DType.F32, 1)));
        comms[1].Dispose();
    }

    [TwoGpuFact]
    public void Version_IsNcclsOwn() => Assert.Matches(@"^2\.\d+\.\d+$", NcclCommunicator.Version());
}

/// <summary>A fact that needs two CUDA devices and NCCL: skipped with the reason where either is missing.</summary>
public sealed class TwoGpuFactAttribute : FactAttribute
{
    public TwoGpuFactAttribute()
    {
        if (CudaProbe.UnavailableReason is { } reason) Skip = $"no CUDA device: {reason}";
        else if (CudaDevices.Query().Devices.Count < 2) Skip = "one CUDA device; these tests need two (under the emulator: EP_EMU_DEVICES=2)";
        else if (CudaLibraryResolver.TryPath(CudaLibraryResolver.Nccl) is null) Skip = "no usable libnccl.so.2 (set EDGEPRUNE_LIBNCCL)";
    }
}
