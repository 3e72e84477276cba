using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Tests.Runtime;

public class CudaKernelCacheTests
{
    private static readonly (string, string)[] Headers = [("prelude.cuh", "#define X 1"), ("bf16.cuh", "// bf16")];
    private static readonly string[] Options = ["--gpu-architecture=sm_90", "-default-device"];

    private static string Key(string source = "__global__ void k() {}", (string, string)[]? headers = null, string[]? options = null,
        string compiler = "12.4", string arch = "sm_90") =>
        KernelCache.Key(source, headers ?? Headers, options ?? Options, compiler, arch);

    [Fact]
    public void SameInputs_GiveTheSameKey_WhateverTheHeaderOrder()
    {
        Assert.Equal(Key(), Key());
        Assert.Equal(Key(), Key(headers: [Headers[1], Headers[0]]));
        Assert.Equal(64, Key().Length);
    }

    [Fact]
    public void AnyChangedInput_GivesANewKey()
    {
        var keys = new[]
        {
            Key(),
            Key(source: "__global__ void k() { }"),
            Key(headers: [("prelude.cuh", "#define X 2"), Headers[1]]),
            Key(headers: [("prelude2.cuh", "#define X 1"), Headers[1]]),
            Key(headers: [Headers[0]]),
            Key(options: ["--gpu-architecture=sm_90"]),
            Key(options: ["--gpu-architecture=sm_90", "-default-device", "-lineinfo"]),
            Key(compiler: "13.0"),
            Key(arch: "sm_80"),
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public void FieldsCannotRunTogether_IntoTheSameKey()
    {
        // Lengths are part of the hashed text, so moving characters between fields changes the key.
        Assert.NotEqual(Key(source: "ab", compiler: "c"), Key(source: "a", compiler: "bc"));
    }

    [Fact]
    public void SecondGetOrCompile_ReadsTheCacheWithoutCompiling()
    {
        var dir = Directory.CreateTempSubdirectory("ep-kcache-");
        try
        {
            var cache = new KernelCache(Path.Combine(dir.FullName, "kernels"));
            int compiles = 0;
            byte[] Compile() { compiles++; return [1, 2, 3, 4]; }
            string key = Key();

            var first = cache.GetOrCompile(key, "norms.cu", Compile);
            var second = cache.GetOrCompile(key, "norms.cu", Compile);
            var fromDisk = new KernelCache(cache.Directory).GetOrCompile(key, "norms.cu", Compile);

            Assert.Equal(1, compiles);
            Assert.Equal(1, cache.Compilations);
            Assert.Equal(first, second);
            Assert.Equal(first, fromDisk);
            Assert.True(File.Exists(cache.PathOf(key, "norms.cu")));
            Assert.StartsWith("norms-", Path.GetFileName(cache.PathOf(key, "norms.cu")));
            Assert.Empty(Directory.GetFiles(cache.Directory, "*.tmp"));

            cache.GetOrCompile(Key(arch: "sm_80"), "norms.cu", Compile);
            Assert.Equal(2, compiles);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void AnEmptyCachedFile_IsAMiss()
    {
        var dir = Directory.CreateTempSubdirectory("ep-kcache-");
        try
        {
            var cache = new KernelCache(dir.FullName);
            string key = Key();
            File.WriteAllBytes(cache.PathOf(key, "rope.cu"), []);
            Assert.Equal([9], cache.GetOrCompile(key, "rope.cu", () => [9]));
            Assert.Equal(1, cache.Compilations);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void UnwritableFolder_StillCompiles_EveryTime()
    {
        var dir = Directory.CreateTempSubdirectory("ep-kcache-");
        try
        {
            // A folder below a regular file can never be created (not even by root).
            var blocker = Path.Combine(dir.FullName, "file");
            File.WriteAllText(blocker, "not a folder");
            var cache = new KernelCache(Path.Combine(blocker, "kernels"));
            int compiles = 0;

            Assert.Equal([7], cache.GetOrCompile(Key(), "add.cu", () => { compiles++; return [7]; }));
            Assert.Equal([7], cache.GetOrCompile(Key(), "add.cu", () => { compiles++; return [7]; }));
            Assert.Equal(2, compiles);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
