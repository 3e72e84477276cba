namespace EdgePruning.Models.Loaders;

/// <summary>
/// Loads any supported model from a path, deciding the format from what is there: a directory with
/// <c>config.json</c> (Hugging Face GPT-2 or Llama), a llama2.c <c>.bin</c>, or a <c>.safetensors</c>
/// file that is either minGPT (config in its metadata, <c>blocks.0.*</c> names) or Tracr (sibling
/// <c>.json</c>, <c>transformer/layer_0/*</c> names).
/// </summary>
public static class ModelLoader
{
    /// <param name="sink">
    /// Where the tensors go as they are read (default: the host). Hugging Face checkpoints stream there a layer at a
    /// time; the other formats (small ones) are read whole, then placed.
    /// </param>
    public static LoadedModel Load(string path, WeightSink? sink = null)
    {
        sink ??= WeightSink.Host;
        var (kind, resolved) = Detect(path);
        switch (kind)
        {
            case ModelFileKind.Llama2c:
            {
                var (c, w) = Llama2cLoader.Load(resolved, sink);
                return new LoadedModel(c, w, kind, resolved);
            }
            case ModelFileKind.HfGpt2:
            {
                var (c, w) = HfGpt2Loader.Load(resolved, sink);
                return new LoadedModel(c, w, kind, resolved);
            }
            case ModelFileKind.HfLlama:
            {
                var (c, w) = HfLlamaLoader.Load(resolved, sink);
                return new LoadedModel(c, w, kind, resolved);
            }
            case ModelFileKind.MinGpt:
            {
                var (c, w) = MinGptLoader.Load(resolved);
                return new LoadedModel(c, sink.TakeAll(w), kind, resolved);
            }
            case ModelFileKind.Tracr:
            {
                var (c, w, info) = TracrLoader.Load(resolved);
                return new LoadedModel(c, sink.TakeAll(w), kind, resolved, info);
            }
            default:
                throw new ModelFormatException($"{path}: unsupported model format {kind}");
        }
    }

    /// <summary>
    /// The format at <paramref name="path"/> and the path its loader takes (the directory when
    /// <paramref name="path"/> names a config.json). Reads only configs and headers.
    /// </summary>
    public static (ModelFileKind Kind, string Path) Detect(string path)
    {
        if (Directory.Exists(path)) return (DetectDirectory(path), path);
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        if (Path.GetFileName(path) == ConfigJson.FileName)
        {
            string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            return (DetectDirectory(dir), dir);
        }
        if (path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)) return (ModelFileKind.Llama2c, path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            using var file = SafetensorsFile.Open(path);
            if (TracrLoader.IsTracr(path, file)) return (ModelFileKind.Tracr, path);
            if (MinGptLoader.IsMinGpt(file)) return (ModelFileKind.MinGpt, path);
            throw new ModelFormatException(
                $"{path}: a safetensors file that is neither minGPT (metadata config + blocks.0.* tensors) nor Tracr " +
                $"(transformer/layer_0/* tensors + {Path.GetFileName(TracrLoader.InfoPath(path))}); for a Hugging Face checkpoint pass its directory");
        }
        throw new ModelFormatException(
            $"{path}: unknown model format; expected a Hugging Face directory with config.json, a llama2.c .bin, or a minGPT/Tracr .safetensors");
    }

    private static ModelFileKind DetectDirectory(string dir)
    {
        if (!File.Exists(Path.Combine(dir, ConfigJson.FileName)))
            throw new ModelFormatException($"{dir}: directory has no config.json; expected a Hugging Face checkpoint (config.json + model.safetensors)");
        var json = ConfigJson.ReadDirectory(dir);
        if (HfGpt2Loader.IsGpt2(json)) return ModelFileKind.HfGpt2;
        if (HfLlamaLoader.IsLlama(json)) return ModelFileKind.HfLlama;
        throw new ModelFormatException(
            $"{json.Path}: model_type '{json.ModelType}' (architectures: {string.Join(", ", json.Architectures)}) is not supported; expected gpt2 or llama");
    }
}
