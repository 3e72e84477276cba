namespace EdgePruning.Tests;

/// <summary>Locates ../shared (models and task data beside the checkout); tests that need it skip without it.</summary>
public static class SharedData
{
    public static readonly string? Root = Find();

    public static string Models => Path.Combine(Root ?? throw new InvalidOperationException("../shared is absent"), "models");
    public static string Tasks => Path.Combine(Root ?? throw new InvalidOperationException("../shared is absent"), "data", "tasks");

    public static string Model(params string[] parts) => Path.Combine([Models, .. parts]);

    /// <summary>One of the paper's two Tracr models ("reverse", "xproportion").</summary>
    public static string Tracr(string program) => Model("tracr", program + ".safetensors");

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("EDGEPRUNE_SHARED");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared");
            if (dir.Parent is not null && File.Exists(Path.Combine(dir.FullName, "EdgePruning.sln")))
            {
                var beside = Path.Combine(dir.Parent.FullName, "shared");
                if (Directory.Exists(Path.Combine(beside, "models"))) return beside;
            }
            if (Directory.Exists(Path.Combine(candidate, "models")) && Directory.Exists(Path.Combine(candidate, "data"))) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs ../shared: skipped, with the reason shown, when it is absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    public SharedFactAttribute()
    {
        if (SharedData.Root is null) Skip = "needs ../shared (models and task data beside the checkout); not found";
    }
}

/// <summary>A theory that needs ../shared: skipped, with the reason shown, when it is absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    public SharedTheoryAttribute()
    {
        if (SharedData.Root is null) Skip = "needs ../shared (models and task data beside the checkout); not found";
    }
}
