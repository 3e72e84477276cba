namespace EdgePruning.Models.Loaders;

/// <summary>The on-disk formats <see cref="ModelLoader"/> recognizes.</summary>
public enum ModelFileKind
{
    /// <summary>llama2.c checkpoint (<c>.bin</c>).</summary>
    Llama2c,
    /// <summary>Hugging Face GPT-2 directory (config.json + safetensors).</summary>
    HfGpt2,
    /// <summary>Hugging Face Llama directory (config.json + safetensors).</summary>
    HfLlama,
    /// <summary>minGPT-style safetensors file with its config in the metadata.</summary>
    MinGpt,
    /// <summary>Tracr-compiled program: safetensors + sibling JSON.</summary>
    Tracr,
}

public static class ModelFileKindNames
{
    public static string Describe(this ModelFileKind kind) => kind switch
    {
        ModelFileKind.Llama2c => "llama2.c checkpoint",
        ModelFileKind.HfGpt2 => "Hugging Face GPT-2 (safetensors)",
        ModelFileKind.HfLlama => "Hugging Face Llama (safetensors)",
        ModelFileKind.MinGpt => "minGPT safetensors",
        ModelFileKind.Tracr => "Tracr compiled program (safetensors + json)",
        _ => kind.ToString(),
    };
}
