using System.Text;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>A CUBIN loaded into a context; its functions are looked up by name once and kept.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly CudaContext _context;
    private readonly Dictionary<string, CudaFunction> _functions = new();
    private IntPtr _handle;

    public CudaModule(CudaContext context, byte[] image, string name)
    {
        _context = context;
        Name = name;
        context.MakeCurrent();
        IntPtr handle;
        fixed (byte* p = image)
            CudaCheck.Driver(CudaDriverApi.cuModuleLoadData(&handle, p), $"cuModuleLoadData({name})");
        _handle = handle;
    }

    public string Name { get; }

    public CudaFunction Function(string name)
    {
        lock (_functions)
        {
            if (_functions.TryGetValue(name, out var known)) return known;
            _context.MakeCurrent();
            var bytes = Encoding.UTF8.GetBytes(name + "\0");
            IntPtr function;
            fixed (byte* p = bytes)
                CudaCheck.Driver(CudaDriverApi.cuModuleGetFunction(&function, _handle, p), $"cuModuleGetFunction({Name}: {name})");
            return _functions[name] = new CudaFunction(_context, function, name);
        }
    }

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuModuleUnload(_handle), "cuModuleUnload");
        _handle = IntPtr.Zero;
    }
}
