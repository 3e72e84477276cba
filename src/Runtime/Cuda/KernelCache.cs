using System.Security.Cryptography;
using System.Text;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// Compiled kernels on disk, keyed by a hash of everything that decides the CUBIN: the source, every
/// header, the compiler options, NVRTC's version and the target architecture. A changed input is a new
/// key, so entries never go stale; an unwritable folder only means compiling every time.
/// The folder is EDGEPRUNE_KERNEL_CACHE, else $XDG_CACHE_HOME/edgeprune/kernels, else ~/.cache/edgeprune/kernels.
/// </summary>
public sealed class KernelCache(string directory)
{
    public string Directory { get; } = directory;

    /// <summary>Compilations done through this cache (misses).</summary>
    public int Compilations { get; private set; }

    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("EDGEPRUNE_KERNEL_CACHE") is { Length: > 0 } explicitFolder) return explicitFolder;
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "edgeprune", "kernels");
    }

    public static string Key(string source, IEnumerable<(string Name, string Source)> headers, IEnumerable<string> options,
        string compilerVersion, string architecture)
    {
        var text = new StringBuilder();
        void Part(string label, string value) => text.Append(label).Append(':').Append(value.Length).Append(':').Append(value).Append('\n');
        Part("source", source);
        foreach (var (name, body) in headers.OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            Part("header", name);
            Part("body", body);
        }
        foreach (var option in options) Part("option", option);
        Part("compiler", compilerVersion);
        Part("arch", architecture);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public string PathOf(string key, string fileName) =>
        Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(fileName)}-{key[..16]}.cubin");

    /// <summary>The cached image for <paramref name="key"/>, or the result of <paramref name="compile"/> (then stored).</summary>
    public byte[] GetOrCompile(string key, string fileName, Func<byte[]> compile)
    {
        var path = PathOf(key, fileName);
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length > 0) return File.ReadAllBytes(path);
        }
        catch (IOException)
        {
        }
        var image = compile();
        Compilations++;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            var temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return image;
    }
}
