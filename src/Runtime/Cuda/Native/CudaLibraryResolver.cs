using System.Reflection;
using System.Runtime.InteropServices;

namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// The one DllImport resolver of this assembly: maps the logical library names of our bindings
/// ("cuda", later "nvrtc", "cublas") to the first loadable candidate, and remembers every path tried so
/// that a failure can list them.
/// </summary>
public static class CudaLibraryResolver
{
    public const string Driver = "cuda";
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (IntPtr Handle, string? Path, List<string> Tried)> Loaded = new();
    private static bool _registered;

    public static NativeLibraryCandidates DriverCandidates { get; set; } =
        new("EDGEPRUNE_LIBCUDA", ["libcuda.so.1"]);

    /// <summary>Registers the resolver once; every binding calls this before its first native call.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(CudaLibraryResolver).Assembly, Resolve);
            _registered = true;
        }
    }

    /// <summary>The loaded library, or a <see cref="CudaUnavailableException"/> listing every path tried.</summary>
    public static (IntPtr Handle, string Path) Require(string library)
    {
        var (handle, path, tried) = Load(library);
        if (handle == IntPtr.Zero)
            throw new CudaUnavailableException($"no usable {FileNameOf(library)} found (tried: {string.Join(", ", tried)})");
        return (handle, path!);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == Driver ? Load(name).Handle : IntPtr.Zero;

    private static (IntPtr Handle, string? Path, List<string> Tried) Load(string library)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(library, out var known)) return known;
            var candidates = library == Driver ? DriverCandidates : throw new ArgumentException($"unknown CUDA library '{library}'");
            var result = TryCandidates(candidates);
            Loaded[library] = result;
            return result;
        }
    }

    /// <summary>Tries each candidate in order, skipping stubs; returns the first that loads.</summary>
    public static (IntPtr Handle, string? Path, List<string> Tried) TryCandidates(NativeLibraryCandidates candidates)
    {
        var tried = new List<string>();
        foreach (var candidate in candidates.All())
        {
            if (NativeLibraryCandidates.IsStub(candidate))
            {
                tried.Add(candidate + " (stub, skipped)");
                continue;
            }
            tried.Add(candidate);
            if (Path.IsPathRooted(candidate) && !File.Exists(candidate)) continue;
            if (NativeLibrary.TryLoad(candidate, out var handle)) return (handle, candidate, tried);
        }
        return (IntPtr.Zero, null, tried);
    }

    private static string FileNameOf(string library) => library == Driver ? "libcuda.so.1 (the NVIDIA driver)" : library;
}
