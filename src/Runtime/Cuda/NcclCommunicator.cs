using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// One rank of an NCCL communicator: a GPU of this process (its <see cref="CudaContext"/>) and the collectives it takes
/// part in, queued on the context's stream like its kernels. Made for every GPU at once from one thread
/// (<see cref="CreateAll"/>), or by each GPU's own host thread (<see cref="Join"/>); a data-parallel step then has each
/// thread run its micro-batches and call <see cref="AllReduceSum(Tensor)"/> on its mask gradients and losses once. A
/// thread that drives several ranks wraps their calls in <see cref="NcclGroup.Run"/>, since each rank's collective waits
/// for the others. Errors are <see cref="NcclException"/>s naming the call and NCCL's error.
/// </summary>
public sealed unsafe class NcclCommunicator : IDisposable
{
    private IntPtr _comm;

    private NcclCommunicator(CudaContext context, IntPtr comm)
    {
        Context = context;
        _comm = comm;
        int rank, ranks, device;
        NcclCheck.Result(NcclApi.ncclCommUserRank(comm, &rank), "ncclCommUserRank", comm);
        NcclCheck.Result(NcclApi.ncclCommCount(comm, &ranks), "ncclCommCount", comm);
        NcclCheck.Result(NcclApi.ncclCommCuDevice(comm, &device), "ncclCommCuDevice", comm);
        Rank = rank;
        Ranks = ranks;
        Device = device;
    }

    /// <summary>The GPU this rank runs on; its stream orders the collectives.</summary>
    public CudaContext Context { get; }

    /// <summary>This rank's index, 0 ≤ rank &lt; <see cref="Ranks"/>.</summary>
    public int Rank { get; }

    /// <summary>How many ranks the communicator has.</summary>
    public int Ranks { get; }

    /// <summary>The CUDA device ordinal NCCL reports for this rank.</summary>
    public int Device { get; }

    /// <summary>The NCCL version as "2.21.5".</summary>
    public static string Version()
    {
        CudaLibraryResolver.Require(CudaLibraryResolver.Nccl);
        int code;
        NcclCheck.Result(NcclApi.ncclGetVersion(&code), "ncclGetVersion");
        // NCCL ≥ 2.9 codes versions as major·10000 + minor·100 + patch; older ones as major·1000 + minor·100 + patch.
        return code >= 10000 ? $"{code / 10000}.{code / 100 % 100}.{code % 100}" : $"{code / 1000}.{code / 100 % 10}.{code % 100}";
    }

    /// <summary>
    /// A communicator over <paramref name="contexts"/> (distinct GPUs of this process), made at once from this thread:
    /// rank i runs on contexts[i].
    /// </summary>
    public static NcclCommunicator[] CreateAll(IReadOnlyList<CudaContext> contexts)
    {
        if (contexts.Count == 0) throw new ArgumentException("an NCCL communicator needs at least one GPU");
        CudaLibraryResolver.Require(CudaLibraryResolver.Nccl);
        var devices = contexts.Select(c => c.Info.Ordinal).ToArray();
        var comms = new IntPtr[contexts.Count];
        fixed (IntPtr* pComms = comms)
        fixed (int* pDevices = devices)
            NcclCheck.Result(NcclApi.ncclCommInitAll(pComms, devices.Length, pDevices), $"ncclCommInitAll over {string.Join(", ", contexts.Select(c => c.Location))}");
        return contexts.Select((context, i) => new NcclCommunicator(context, comms[i])).ToArray();
    }

    /// <summary>
    /// This thread's rank <paramref name="rank"/> of the <paramref name="ranks"/>-rank communicator named by
    /// <paramref name="id"/>, on <paramref name="context"/>: returns once every rank has joined, so each rank calls it
    /// from its own thread (one thread making every rank uses <see cref="CreateAll"/>).
    /// </summary>
    public static NcclCommunicator Join(CudaContext context, NcclUniqueId id, int ranks, int rank)
    {
        if (ranks < 1 || rank < 0 || rank >= ranks) throw new ArgumentException($"rank {rank} is not one of {ranks} ranks");
        CudaLibraryResolver.Require(CudaLibraryResolver.Nccl);
        context.MakeCurrent();
        IntPtr comm;
        NcclCheck.Result(NcclApi.ncclCommInitRank(&comm, ranks, id, rank), $"ncclCommInitRank (rank {rank} of {ranks} on {context.Location})");
        return new NcclCommunicator(context, comm);
    }

    /// <summary>Every rank's <paramref name="buffer"/> (f32) becomes the sum over the ranks, in place.</summary>
    public void AllReduceSum(Tensor buffer) => AllReduceSum(buffer, buffer);

    /// <summary><paramref name="receive"/> becomes the sum over the ranks of their <paramref name="send"/> (f32, the same count on every rank).</summary>
    public void AllReduceSum(Tensor send, Tensor receive)
    {
        const string call = "ncclAllReduce";
        CheckPair(call, send, receive);
        if (send.DType != DType.F32) throw new ShapeException($"{call}: the sum runs over f32 tensors, not {send.DType.Name()}");
        var comm = Handle;
        NcclGroup.Issue(() =>
        {
            Context.MakeCurrent();
            NcclCheck.Result(NcclApi.ncclAllReduce(send.DeviceAddress, receive.DeviceAddress, (nuint)send.Count, NcclApi.Float32, NcclApi.Sum,
                comm, Context.Stream.Handle), Describe(call), comm);
        });
    }

    /// <summary>Every rank's <paramref name="buffer"/> becomes rank <paramref name="root"/>'s, in place.</summary>
    public void Broadcast(Tensor buffer, int root) => Broadcast(buffer, buffer, root);

    /// <summary>Every rank's <paramref name="receive"/> becomes rank <paramref name="root"/>'s <paramref name="send"/> (read on the root only).</summary>
    public void Broadcast(Tensor send, Tensor receive, int root)
    {
        const string call = "ncclBroadcast";
        CheckPair(call, send, receive);
        if (root < 0 || root >= Ranks) throw new ArgumentException($"{call}: root {root} is not one of {Ranks} ranks");
        var comm = Handle;
        int type = DataType(call, send.DType);
        NcclGroup.Issue(() =>
        {
            Context.MakeCurrent();
            NcclCheck.Result(NcclApi.ncclBroadcast(send.DeviceAddress, receive.DeviceAddress, (nuint)send.Count, type, root,
                comm, Context.Stream.Handle), Describe(call), comm);
        });
    }

    /// <summary>Ends this rank at once; ranks waiting for it in a collective fail instead of waiting.</summary>
    public void Abort()
    {
        if (_comm == IntPtr.Zero) return;
        var comm = _comm;
        _comm = IntPtr.Zero;
        NcclCheck.Result(NcclApi.ncclCommAbort(comm), "ncclCommAbort");
    }

    public void Dispose()
    {
        if (_comm == IntPtr.Zero) return;
        var comm = _comm;
        _comm = IntPtr.Zero;
        NcclCheck.Result(NcclApi.ncclCommDestroy(comm), "ncclCommDestroy");
    }

    private IntPtr Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_comm == IntPtr.Zero, this);
            return _comm;
        }
    }

    private string Describe(string call) => $"{call} (rank {Rank} of {Ranks} on {Context.Location})";

    private void CheckPair(string call, Tensor send, Tensor receive)
    {
        foreach (var (name, t) in new[] { ("send", send), ("receive", receive) })
            if (!t.IsOnDevice || t.Storage.Location != Context.Location)
                throw new ShapeException($"{Describe(call)}: the {name} tensor {t.Shape} lives on {t.Storage.Location}, not on the rank's {Context.Location}");
        if (send.DType != receive.DType || send.Count != receive.Count)
            throw new ShapeException($"{Describe(call)}: send {send.DType.Name()} {send.Shape} and receive {receive.DType.Name()} {receive.Shape} differ");
        if (Context.Work is not null)
            throw new CaptureUnsupportedException($"{Describe(call)}: collectives are not part of captured work");
    }

    private static int DataType(string call, DType dtype) => dtype switch
    {
        DType.F32 => NcclApi.Float32,
        DType.BF16 => NcclApi.Bfloat16,
        DType.F16 => NcclApi.Float16,
        _ => throw new ShapeException($"{call}: no NCCL data type for {dtype.Name()}"),
    };
}
