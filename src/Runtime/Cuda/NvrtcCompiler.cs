using System.Runtime.InteropServices;
using System.Text;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// CUDA C++ to CUBIN at run time with NVRTC. Headers are handed over in memory (our kernels include only
/// our own prelude, never toolkit headers), so a source compiles the same wherever NVRTC is found.
/// </summary>
public static unsafe class NvrtcCompiler
{
    /// <summary>NVRTC's version as "13.0"; loads NVRTC (throws <see cref="CudaUnavailableException"/> when absent).</summary>
    public static string Version()
    {
        CudaLibraryResolver.Require(CudaLibraryResolver.Nvrtc);
        int major, minor;
        CudaCheck.Nvrtc(NvrtcApi.nvrtcVersion(&major, &minor), "nvrtcVersion");
        return $"{major}.{minor}";
    }

    /// <summary>The options we compile every kernel with for <paramref name="architecture"/> ("sm_90").</summary>
    public static IReadOnlyList<string> Options(string architecture) =>
        [$"--gpu-architecture={architecture}", "-std=c++17", "-lineinfo"];

    /// <summary>Compiles <paramref name="source"/> (named <paramref name="fileName"/> in diagnostics) to a CUBIN image.</summary>
    public static byte[] Compile(string fileName, string source, IReadOnlyList<(string Name, string Source)> headers, IReadOnlyList<string> options)
    {
        CudaLibraryResolver.Require(CudaLibraryResolver.Nvrtc);
        var pinned = new List<GCHandle>();
        byte* Utf8(string text)
        {
            var handle = GCHandle.Alloc(Encoding.UTF8.GetBytes(text + "\0"), GCHandleType.Pinned);
            pinned.Add(handle);
            return (byte*)handle.AddrOfPinnedObject();
        }
        IntPtr program = IntPtr.Zero;
        try
        {
            var headerSources = stackalloc byte*[Math.Max(headers.Count, 1)];
            var headerNames = stackalloc byte*[Math.Max(headers.Count, 1)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerSources[i] = Utf8(headers[i].Source);
                headerNames[i] = Utf8(headers[i].Name);
            }
            CudaCheck.Nvrtc(NvrtcApi.nvrtcCreateProgram(&program, Utf8(source), Utf8(fileName), headers.Count, headerSources, headerNames),
                $"nvrtcCreateProgram({fileName})");
            var optionPointers = stackalloc byte*[Math.Max(options.Count, 1)];
            for (int i = 0; i < options.Count; i++) optionPointers[i] = Utf8(options[i]);
            int result = NvrtcApi.nvrtcCompileProgram(program, options.Count, optionPointers);
            string log = ReadLog(program);
            if (result != 0)
            {
                var errors = log.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim()).ToArray();
                string summary = errors.Length > 0 ? string.Join("; ", errors) : log.Trim();
                throw new KernelCompileException($"kernel source {fileName} does not compile ({string.Join(" ", options)}): {summary}", log);
            }
            nuint size;
            CudaCheck.Nvrtc(NvrtcApi.nvrtcGetCUBINSize(program, &size), $"nvrtcGetCUBINSize({fileName})");
            var cubin = new byte[(int)size];
            fixed (byte* p = cubin) CudaCheck.Nvrtc(NvrtcApi.nvrtcGetCUBIN(program, p), $"nvrtcGetCUBIN({fileName})");
            return cubin;
        }
        finally
        {
            if (program != IntPtr.Zero) NvrtcApi.nvrtcDestroyProgram(&program);
            foreach (var handle in pinned) handle.Free();
        }
    }

    private static string ReadLog(IntPtr program)
    {
        nuint size;
        if (NvrtcApi.nvrtcGetProgramLogSize(program, &size) != 0 || size <= 1) return "";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            if (NvrtcApi.nvrtcGetProgramLog(program, p) != 0) return "";
        return Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }
}
