using System.Reflection;
using System.Runtime.InteropServices;

namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// The one DllImport resolver of this assembly: maps the logical library names of our bindings
/// (<see cref="Driver"/>, <see cref="Nvrtc"/>, <see cref="Cublas"/>, <see cref="CublasLt"/>, <see cref="Nccl"/>) to the first
/// loadable candidate, and remembers every path tried so that a failure can list them. cuBLAS and
/// cuBLASLt are loaded together, same version and same folder. NVRTC's builtins library is preloaded
/// from NVRTC's own folder, since NVRTC finds it by name only.
/// </summary>
public static class CudaLibraryResolver
{
    public const string Driver = "cuda";
    public const string Nvrtc = "nvrtc";
    public const string Cublas = "cublas";
    public const string CublasLt = "cublasLt";
    public const string Nccl = "nccl";

    private static readonly object Gate = new();
    private static readonly Dictionary<string, LoadResult> Loaded = new();
    private static bool _registered;

    public static NativeLibraryCandidates DriverCandidates { get; set; } =
        new("EDGEPRUNE_LIBCUDA", ["libcuda.so.1"]);

    public static NativeLibraryCandidates NvrtcCandidates { get; set; } =
        new("EDGEPRUNE_LIBNVRTC", ["libnvrtc.so.13", "libnvrtc.so.12"]);

    public static NativeLibraryCandidates NcclCandidates { get; set; } =
        new("EDGEPRUNE_LIBNCCL", ["libnccl.so.2"]);

    public static LibraryPairCandidates CublasCandidates { get; set; } =
        new("EDGEPRUNE_LIBCUBLAS", "libcublasLt", "libcublas", [13, 12]);

    /// <summary>What loading one logical library gave: its handle and path (zero and null on failure) and every path tried.</summary>
    public sealed record LoadResult(IntPtr Handle, string? Path, IReadOnlyList<string> Tried);

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
        EnsureRegistered();
        var result = Load(library);
        if (result.Handle == IntPtr.Zero)
            throw new CudaUnavailableException($"no usable {FileNameOf(library)} found (tried: {string.Join(", ", result.Tried)})");
        return (result.Handle, result.Path!);
    }

    /// <summary>The loaded library's path, or null when it cannot be loaded (nothing thrown).</summary>
    public static string? TryPath(string library)
    {
        EnsureRegistered();
        return Load(library).Path;
    }

    /// <summary>
    /// The CUDA emulator's version when the driver loaded is the emulator's stand-in (tests/CudaEmulator), else null
    /// (also when no driver loads).
    /// </summary>
    public static unsafe string? EmulatorVersion()
    {
        EnsureRegistered();
        var driver = Load(Driver);
        if (driver.Handle == IntPtr.Zero || !NativeLibrary.TryGetExport(driver.Handle, "ep_emu_version", out var export)) return null;
        return Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)export)());
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name is Driver or Nvrtc or Cublas or CublasLt or Nccl ? Load(name).Handle : IntPtr.Zero;

    private static LoadResult Load(string library)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(library, out var known)) return known;
            switch (library)
            {
                case Driver:
                    Loaded[library] = TryCandidates(DriverCandidates);
                    break;
                case Nvrtc:
                    var nvrtc = TryCandidates(NvrtcCandidates);
                    if (nvrtc.Path is not null) PreloadNvrtcBuiltins(nvrtc.Path);
                    Loaded[library] = nvrtc;
                    break;
                case Nccl:
                    Loaded[library] = TryCandidates(NcclCandidates);
                    break;
                case Cublas or CublasLt:
                    var (lt, blas) = TryPairs(CublasCandidates);
                    Loaded[CublasLt] = lt;
                    Loaded[Cublas] = blas;
                    break;
                default:
                    throw new ArgumentException($"unknown CUDA library '{library}'");
            }
            return Loaded[library];
        }
    }

    /// <summary>Tries each candidate in order, skipping stubs; returns the first that loads.</summary>
    public static LoadResult TryCandidates(NativeLibraryCandidates candidates)
    {
        var tried = new List<string>();
        foreach (var candidate in candidates.All())
            if (TryOne(candidate, tried) is var handle && handle != IntPtr.Zero)
                return new LoadResult(handle, candidate, tried);
        return new LoadResult(IntPtr.Zero, null, tried);
    }

    /// <summary>
    /// Tries each pair in order: the companion, then the library from the same place. A companion that
    /// loads without its library stays loaded (harmless) and the search goes on.
    /// </summary>
    public static (LoadResult Companion, LoadResult Library) TryPairs(LibraryPairCandidates candidates)
    {
        var tried = new List<string>();
        foreach (var (companion, library) in candidates.All())
        {
            var companionHandle = TryOne(companion, tried);
            if (companionHandle == IntPtr.Zero) continue;
            var libraryHandle = TryOne(library, tried);
            if (libraryHandle != IntPtr.Zero)
                return (new LoadResult(companionHandle, companion, tried), new LoadResult(libraryHandle, library, tried));
        }
        var none = new LoadResult(IntPtr.Zero, null, tried);
        return (none, none);
    }

    private static IntPtr TryOne(string candidate, List<string> tried)
    {
        if (NativeLibraryCandidates.IsStub(candidate))
        {
            tried.Add(candidate + " (stub, skipped)");
            return IntPtr.Zero;
        }
        tried.Add(candidate);
        if (Path.IsPathRooted(candidate) && !File.Exists(candidate)) return IntPtr.Zero;
        return NativeLibrary.TryLoad(candidate, out var handle) ? handle : IntPtr.Zero;
    }

    private static void PreloadNvrtcBuiltins(string nvrtcPath)
    {
        var folder = Path.GetDirectoryName(nvrtcPath);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder)) return;
        foreach (var builtins in Directory.GetFiles(folder, "libnvrtc-builtins.so*").Order(StringComparer.Ordinal))
            NativeLibrary.TryLoad(builtins, out _);
    }

    private static string FileNameOf(string library) => library switch
    {
        Driver => "libcuda.so.1 (the NVIDIA driver)",
        Nvrtc => "libnvrtc.so.13 or .12 (NVRTC)",
        Cublas or CublasLt => "libcublas.so + libcublasLt.so pair, version 13 or 12 (cuBLAS)",
        Nccl => "libnccl.so.2 (NCCL)",
        _ => library,
    };
}
