using System.Runtime.ExceptionServices;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// The kernels of kernels-cu/ on one device: each .cu is compiled by NVRTC for the device's architecture
/// on first use (or read from the <see cref="KernelCache"/>), loaded once, and its functions looked up by name.
/// A source the compiler rejects is rejected once: later uses rethrow its <see cref="KernelCompileException"/>.
/// </summary>
public sealed class CudaKernelModules : IDisposable
{
    private readonly CudaContext _context;
    private readonly KernelCache _cache;
    private readonly Dictionary<string, CudaModule> _modules = new();
    private readonly Dictionary<string, ExceptionDispatchInfo> _rejected = new();
    private readonly (string Name, string Source)[] _headers;
    private string? _compilerVersion;

    public CudaKernelModules(CudaContext context, KernelCache? cache = null)
    {
        _context = context;
        _cache = cache ?? new KernelCache(KernelCache.DefaultDirectory());
        _headers = KernelSources.Headers.Select(h => (h, KernelSources.Read(h))).ToArray();
    }

    public KernelCache Cache => _cache;

    /// <summary>The function <paramref name="kernel"/> of kernels-cu/<paramref name="fileName"/>.</summary>
    public CudaFunction Function(string fileName, string kernel) => Module(fileName).Function(kernel);

    public CudaModule Module(string fileName)
    {
        lock (_modules)
        {
            if (_modules.TryGetValue(fileName, out var known)) return known;
            if (_rejected.TryGetValue(fileName, out var rejection)) rejection.Throw();
            var source = KernelSources.Read(fileName);
            var options = NvrtcCompiler.Options(_context.Architecture);
            _compilerVersion ??= NvrtcCompiler.Version();
            var key = KernelCache.Key(source, _headers, options, _compilerVersion, _context.Architecture);
            byte[] image;
            try
            {
                image = _cache.GetOrCompile(key, fileName, () => NvrtcCompiler.Compile(fileName, source, _headers, options));
            }
            catch (KernelCompileException e)
            {
                // The same source and options fail the same way: every later use fails at once instead of compiling again.
                _rejected[fileName] = ExceptionDispatchInfo.Capture(e);
                throw;
            }
            return _modules[fileName] = new CudaModule(_context, image, fileName);
        }
    }

    /// <summary>Compiles and loads every kernel source, stopping at the first that fails (the self-test tries each file on its own).</summary>
    public void LoadAll()
    {
        foreach (var file in KernelSources.Kernels) Module(file);
    }

    public void Dispose()
    {
        lock (_modules)
        {
            foreach (var module in _modules.Values) module.Dispose();
            _modules.Clear();
        }
    }
}
