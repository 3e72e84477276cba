using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Models.Loaders;

namespace EdgePruning.Cli.Commands;

/// <summary><c>edgeprune inspect PATH</c>: architecture, parameter count and Edge Pruning graph size.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "model file or directory (HF directory, llama2.c .bin, minGPT or Tracr .safetensors), or a known shape: gpt2-small, stories15m, llama-7b, codellama-13b" };
        var command = new Command("inspect", "print a model's architecture, parameter count and Edge Pruning graph size") { path };
        command.SetAction(parse =>
        {
            string p = parse.GetRequiredValue(path);
            var (config, source) = KnownShapes.ByName(p) is { } known && !Path.Exists(p)
                ? (known, $"built-in shape '{p}'")
                : (ModelConfigReader.ReadConfig(p), p);
            return CommandOutput.Emit(parse, ToJson(config, source), o => Print(o, config, source));
        });
        return command;
    }

    public static JsonObject ToJson(TransformerConfig c, string source)
    {
        int defaultE = EdgeGraph.DefaultEmbeddingNodes(c);
        var edges = new JsonObject();
        for (int e = c.LearnedPositions ? 2 : 1; e >= 0; e--) edges[e.ToString(System.Globalization.CultureInfo.InvariantCulture)] = EdgeGraph.CountEdges(c, e);
        return new JsonObject
        {
            ["model"] = source,
            ["family"] = c.Family.ToString(),
            ["layers"] = c.Layers,
            ["heads"] = c.Heads,
            ["kv_heads"] = c.EffectiveKvHeads,
            ["head_dim"] = c.HeadDim,
            ["model_dim"] = c.ModelDim,
            ["mlp_dim"] = c.MlpDim,
            ["gated_mlp"] = c.GatedMlp,
            ["mlp_activation"] = c.MlpActivation.ToString(),
            ["norm"] = c.Norm.ToString(),
            ["positions"] = c.Rope ? "rope" : c.LearnedPositions ? "learned" : "none",
            ["max_seq_len"] = c.MaxSeqLen,
            ["causal"] = c.Causal,
            ["vocab_size"] = c.VocabSize,
            ["output_size"] = c.EffectiveOutputSize,
            ["parameters"] = c.ParameterCount,
            ["writers"] = EdgeGraph.WriterCount(c, defaultE),
            ["readers"] = EdgeGraph.ReaderCount(c),
            ["default_embedding_nodes"] = defaultE,
            ["edges_by_embedding_nodes"] = edges,
        };
    }

    public static void Print(TextWriter o, TransformerConfig c, string source)
    {
        o.WriteLine($"model          {source}");
        o.WriteLine($"family         {c.Family}");
        o.WriteLine($"layers         {c.Layers}");
        o.WriteLine($"heads          {c.Heads} (kv heads {c.EffectiveKvHeads}, head dim {c.HeadDim})");
        o.WriteLine($"model dim      {c.ModelDim}");
        o.WriteLine($"mlp            {c.MlpDim} {(c.GatedMlp ? "gated " : "")}{c.MlpActivation}");
        o.WriteLine($"norm           {c.Norm}");
        o.WriteLine($"positions      {(c.Rope ? $"RoPE θ={c.RopeTheta:G}" : c.LearnedPositions ? "learned" : "none")}, max {c.MaxSeqLen}");
        o.WriteLine($"attention      {(c.Causal ? "causal" : "bidirectional")}");
        o.WriteLine($"vocab          {c.VocabSize}{(c.EffectiveOutputSize != c.VocabSize ? $" (readout {c.EffectiveOutputSize} outputs)" : "")}");
        o.WriteLine($"parameters     {c.ParameterCount:N0}");
        int maxE = c.LearnedPositions ? 2 : 1;
        int defaultE = EdgeGraph.DefaultEmbeddingNodes(c);
        o.WriteLine($"graph          writers {EdgeGraph.WriterCount(c, defaultE):N0}, readers {EdgeGraph.ReaderCount(c):N0} (embedding nodes: {defaultE})");
        for (int e = maxE; e >= 0; e--)
            o.WriteLine($"edges (e={e})    {EdgeGraph.CountEdges(c, e):N0}{(e == defaultE ? "  (default)" : "")}");
    }
}
