namespace EdgePruning.Models.Loaders;

/// <summary>
/// The config of a model without reading its weights: from config.json, a safetensors header, or a
/// llama2.c header. A Hugging Face directory needs only its config.json, so the shape of a large model
/// can be reported before (or without) downloading it.
/// </summary>
public static class ModelConfigReader
{
    public static TransformerConfig ReadConfig(string path)
    {
        var (kind, resolved) = ModelLoader.Detect(path);
        return kind switch
        {
            ModelFileKind.Llama2c => Llama2cLoader.ReadConfig(resolved, out _),
            ModelFileKind.HfGpt2 => HfGpt2Loader.ReadConfig(resolved),
            ModelFileKind.HfLlama => HfLlamaLoader.ReadConfig(resolved),
            ModelFileKind.MinGpt => MinGptLoader.ReadConfig(resolved),
            ModelFileKind.Tracr => TracrLoader.ReadConfig(resolved),
            _ => throw new ModelFormatException($"{path}: unsupported model format {kind}"),
        };
    }
}
