using System.Text.Json;

namespace EdgePruning.Tests.Circuits;

/// <summary>schemas/circuit.schema.json, loaded from the checkout, and a check that a file follows it.</summary>
public static class CircuitSchema
{
    public static string Path => System.IO.Path.Combine(RepositoryRoot(), "schemas", "circuit.schema.json");

    public static JsonSchemaSubset Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path));
        return new JsonSchemaSubset(doc.RootElement.Clone());
    }

    /// <summary>Fails with every violation listed when <paramref name="path"/> does not follow the schema.</summary>
    public static void AssertValid(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var errors = Load().Validate(doc.RootElement);
        Assert.True(errors.Count == 0, $"{path} does not follow {Path}:\n" + string.Join("\n", errors.Take(20)));
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EdgePruning.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("EdgePruning.sln not found above the test binaries");
    }
}
