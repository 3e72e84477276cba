using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>One __global__ function of a loaded module, launched on a stream.</summary>
public sealed unsafe class CudaFunction
{
    private const int DefaultSharedLimit = 48 * 1024;
    private readonly CudaContext _context;
    private readonly IntPtr _handle;
    private int _sharedOptIn = DefaultSharedLimit;

    internal CudaFunction(CudaContext context, IntPtr handle, string name)
    {
        _context = context;
        _handle = handle;
        Name = name;
    }

    public string Name { get; }

    /// <summary>Queues the kernel on <paramref name="stream"/>; asks for more than 48 KiB of shared memory when it needs it.</summary>
    public void Launch(CudaStream stream, Dim3 grid, Dim3 block, int sharedBytes, params ReadOnlySpan<KernelArg> args)
    {
        if (grid.X == 0 || grid.Y == 0 || grid.Z == 0) return;
        if (grid.Y > 65535 || grid.Z > 65535) throw new ShapeException($"kernel {Name}: grid {grid} exceeds 65535 in y or z");
        if (_context.Work is not null)
        {
            var op = new OpSignature(Name).Add((ulong)_handle).Add(grid.X).Add(grid.Y).Add(grid.Z).Add(block.X).Add(block.Y).Add(block.Z).Add(sharedBytes);
            foreach (var arg in args) op = op.Add(arg.Bits);
            if (!_context.Issues(op)) return;
        }
        _context.MakeCurrent();
        if (sharedBytes > _sharedOptIn)
        {
            CudaCheck.Driver(CudaDriverApi.cuFuncSetAttribute(_handle, CudaDriverApi.FunctionAttributeMaxDynamicSharedSizeBytes, sharedBytes),
                $"cuFuncSetAttribute({Name}, {sharedBytes} bytes of shared memory)");
            _sharedOptIn = sharedBytes;
        }
        ulong* slots = stackalloc ulong[args.Length];
        void** pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            slots[i] = args[i].Bits;
            pointers[i] = slots + i;
        }
        CudaCheck.Driver(CudaDriverApi.cuLaunchKernel(_handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, (uint)sharedBytes,
            stream.Handle, pointers, null), $"cuLaunchKernel({Name})");
    }
}
