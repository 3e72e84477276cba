using System.Text.Json;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

/// <summary>schemas/circuit.schema.json describes every circuit file we write, and the validator really checks.</summary>
public class CircuitSchemaTests
{
    public static TheoryData<string, bool> Shapes() => new()
    {
        { "gpt2", false }, { "gpt2", true }, { "llama-gqa", false }, { "tracr", true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WrittenCircuit_FollowsTheSchema(string shape, bool keptOnly)
    {
        var graph = shape switch
        {
            "gpt2" => CircuitTestGraphs.Gpt2Small(),
            "llama-gqa" => CircuitTestGraphs.LlamaGqa(),
            _ => CircuitTestGraphs.Tracr(),
        };
        var circuit = CircuitTestGraphs.RandomCircuit(graph, seed: 3) with
        {
            Task = "ioi",
            Ablation = "interchange",
            Seed = 3,
            Metrics = new Dictionary<string, double> { ["kl"] = 0.25, ["accuracy"] = double.NaN, ["logit_diff"] = double.PositiveInfinity },
            WallTimeSeconds = 1.5,
            Device = "cpu",
        };
        string path = Path.Combine(Path.GetTempPath(), $"ep-schema-{shape}-{keptOnly}-{Environment.ProcessId}.json");
        try
        {
            CircuitJson.Write(circuit, path, keptOnly);
            CircuitSchema.AssertValid(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SchemaNamesTheCurrentFormatVersion()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(CircuitSchema.Path));
        var properties = doc.RootElement.GetProperty("properties");
        Assert.Equal(CircuitJson.Format, properties.GetProperty("format").GetProperty("const").GetString());
        Assert.Equal(CircuitJson.CurrentVersion, properties.GetProperty("format_version").GetProperty("const").GetInt32());
    }

    [Theory]
    [InlineData("format", "\"mib\"", "expected")]
    [InlineData("format_version", "1.5", "expected integer")]
    [InlineData("kept_edges", "-1", "below")]
    [InlineData("edges_listed", "\"some\"", "not one of")]
    [InlineData("surprise", "1", "not allowed")]
    [InlineData("edges", "[{\"edge\": \"a0.h0->nowhere\", \"mask\": 0.5, \"kept\": true}]", "does not match")]
    [InlineData("edges", "[{\"edge\": \"a0.h0->m0\", \"mask\": 1.5, \"kept\": true}]", "above")]
    [InlineData("edges", "[{\"edge\": \"a0.h0->m0\", \"kept\": true}]", "missing \"mask\"")]
    [InlineData("metrics", "{\"kl\": \"big\"}", "does not match")]
    public void Validator_RejectsABrokenFile(string property, string value, string expected)
    {
        var circuit = CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Tracr(), seed: 1);
        var doc = System.Text.Json.Nodes.JsonNode.Parse(CircuitJson.Serialize(circuit))!.AsObject();
        Assert.Empty(CircuitSchema.Load().Validate(JsonDocument.Parse(doc.ToJsonString()).RootElement));
        doc[property] = System.Text.Json.Nodes.JsonNode.Parse(value);
        var errors = CircuitSchema.Load().Validate(JsonDocument.Parse(doc.ToJsonString()).RootElement);
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_RefusesKeywordsItDoesNotImplement()
    {
        using var schema = JsonDocument.Parse("""{"type": "object", "oneOf": []}""");
        using var value = JsonDocument.Parse("{}");
        Assert.Throws<NotSupportedException>(() => new JsonSchemaSubset(schema.RootElement).Validate(value.RootElement));
    }
}
