using System.Text;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Models;

public class SafetensorsFileTests
{
    private static float[] Ramp(int n, float scale = 0.25f) => Enumerable.Range(0, n).Select(i => (i - n / 2) * scale).ToArray();

    [Fact]
    public void WrittenFile_ReadsBackEveryDTypeAndMetadata()
    {
        using var dir = new TempDirectory();
        var f32 = Tensor.FromData(Ramp(6), 2, 3);
        var bf16 = Tensor.FromData(Ramp(4), 4).To(DType.BF16);
        var f16 = Tensor.FromData(Ramp(4), 2, 2).To(DType.F16);
        string path = dir.File("t.safetensors");
        new SafetensorsWriter().AddMetadata("config", "{\"a\": 1}").Add("w", f32).Add("b", bf16).Add("h", f16).Write(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("{\"a\": 1}", file.Metadata["config"]);
        Assert.Equal(0, file.DataStart % 8);
        Assert.Equal(["w", "b", "h"], file.Names);

        var view = file.GetTensor("w");
        Assert.IsType<ExternalStorage>(view.Storage);
        Assert.Equal(new Shape(2, 3), view.Shape);
        Assert.Equal(Ramp(6), view.ToArray());
        Assert.Equal(DType.BF16, file.GetTensor("b").DType);
        Assert.Equal(Ramp(4), file.ReadF32("b").ToArray());
        Assert.Equal(Ramp(4), file.ReadF32("h", 2, 2).ToArray());
        Assert.IsType<ArrayStorage>(file.ReadF32("w").Storage);
    }

    [Fact]
    public void F64_ConvertsToF32_AndIntegerDTypesAreRejectedAsWeights()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mixed.safetensors");
        var doubles = new[] { 0.5, -1.0, 2.0 };
        new SafetensorsWriter()
            .AddRaw("table", "F64", [3], doubles.SelectMany(BitConverter.GetBytes).ToArray())
            .AddRaw("position_ids", "I64", [2], new byte[16])
            .Write(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([0.5f, -1f, 2f], file.ReadF32("table").ToArray());
        var ex = Assert.Throws<ModelFormatException>(() => file.GetTensor("position_ids"));
        Assert.Contains("position_ids", ex.Message);
        Assert.Contains("I64", ex.Message);
    }

    [Fact]
    public void WrongExpectedShape_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("s.safetensors");
        new SafetensorsWriter().Add("layer.weight", Ramp(6), 2, 3).Write(path);
        using var file = SafetensorsFile.Open(path);
        var ex = Assert.Throws<ModelFormatException>(() => file.ReadF32("layer.weight", 3, 2));
        Assert.Contains("s.safetensors", ex.Message);
        Assert.Contains("layer.weight", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("not found", Assert.Throws<ModelFormatException>(() => file.GetTensor("missing")).Message);
    }

    [Fact]
    public void TruncatedFile_NamesFileAndTensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("trunc.safetensors");
        new SafetensorsWriter().Add("first", Ramp(4), 4).Add("second", Ramp(4), 4).Write(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^6]);
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("trunc.safetensors", ex.Message);
        Assert.Contains("second", ex.Message);
        Assert.Contains("outside the data section", ex.Message);
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix_IsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("tiny.safetensors", Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path)).Message);
    }

    [Fact]
    public void HeaderLengthPastEndOfFile_IsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("len.safetensors");
        new SafetensorsWriter().Add("w", Ramp(4), 4).Write(path);
        var bytes = File.ReadAllBytes(path);
        BitConverter.GetBytes((ulong)bytes.Length).CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("len.safetensors", ex.Message);
        Assert.Contains("header length", ex.Message);
    }

    [Fact]
    public void FlippedHeaderBytes_AreReportedAsMalformedJson()
    {
        using var dir = new TempDirectory();
        string path = dir.File("flip.safetensors");
        new SafetensorsWriter().Add("w", Ramp(4), 4).Write(path);
        var bytes = File.ReadAllBytes(path);
        for (int i = 12; i < 16; i++) bytes[i] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("flip.safetensors", ex.Message);
        Assert.Contains("not valid JSON", ex.Message);
    }

    [Fact]
    public void UnknownDType_NamesTensor()
    {
        var ex = OpenCrafted("dtype.safetensors", """{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", 8);
        Assert.Contains("dtype.safetensors", ex.Message);
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("F33", ex.Message);
    }

    [Fact]
    public void ShapeNotMatchingByteLength_NamesTensor()
    {
        var ex = OpenCrafted("shape.safetensors", """{"blocks.0.w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8);
        Assert.Contains("shape.safetensors", ex.Message);
        Assert.Contains("blocks.0.w", ex.Message);
        Assert.Contains("12 bytes", ex.Message);
    }

    [Fact]
    public void OverlappingTensors_NameBoth()
    {
        var ex = OpenCrafted("overlap.safetensors",
            """{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12);
        Assert.Contains("overlap.safetensors", ex.Message);
        Assert.Contains("'a'", ex.Message);
        Assert.Contains("'b'", ex.Message);
        Assert.Contains("overlap", ex.Message);
    }

    [Fact]
    public void NegativeOrReversedOffsets_AreRejected()
    {
        var ex = OpenCrafted("offsets.safetensors", """{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", 8);
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("data_offsets", ex.Message);
    }

    private static ModelFormatException OpenCrafted(string name, string header, int dataBytes)
    {
        using var dir = new TempDirectory();
        string path = dir.File(name);
        var json = Encoding.UTF8.GetBytes(header);
        using (var fs = File.Create(path))
        {
            fs.Write(BitConverter.GetBytes((ulong)json.Length));
            fs.Write(json);
            fs.Write(new byte[dataBytes]);
        }
        return Assert.Throws<ModelFormatException>(() => SafetensorsFile.Open(path));
    }
}
