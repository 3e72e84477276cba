using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Planning;
using EdgePruning.Runtime;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune inspect PATH</c>: architecture, parameter count and Edge Pruning graph size, and the memory plan of a
/// pruning run on the chosen device and dtype with whether it fits the memory that device has free.
/// </summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "model file or directory (HF directory, llama2.c .bin, minGPT or Tracr .safetensors), or a known shape: gpt2-small, stories15m, llama-7b, codellama-13b" };
        var batch = new Option<int?>("--batch") { Description = "sequences per step of the planned run (default 32)" }.AtLeast(1);
        var seqLen = new Option<int?>("--seq-len") { Description = "tokens per sequence of the planned run (default 64, at most the model's positions)" }.AtLeast(1);
        var microBatch = new Option<int?>("--micro-batch") { Description = "sequences per forward/backward of the planned run (default: the whole batch)" }.AtLeast(1);
        var recompute = new Option<bool>("--recompute") { Description = "plan for layers recomputed in the backward instead of kept" };
        var devices = new DeviceOptions();
        var command = new Command("inspect", "print a model's architecture, parameter count, Edge Pruning graph size and the memory plan of a run on a device")
        {
            path, batch, seqLen, microBatch, recompute,
        };
        devices.AddTo(command);
        command.SetAction(parse =>
        {
            string p = parse.GetRequiredValue(path);
            var (config, source) = KnownShapes.ByName(p) is { } known && !Path.Exists(p)
                ? (known, $"built-in shape '{p}'")
                : (ModelConfigReader.ReadConfig(p), p);
            using var device = devices.Open(parse, config);
            var fit = PlanFor(config, device, parse.GetValue(batch) ?? 32, parse.GetValue(seqLen) ?? Math.Min(64, config.MaxSeqLen),
                parse.GetValue(microBatch), parse.GetValue(recompute));
            var result = ToJson(config, source);
            result["device"] = DeviceOptions.ToJson(device);
            result["memory_plan"] = fit.Plan.ToJson();
            result["free_bytes"] = fit.FreeBytes;
            result["fits"] = fit.Fits;
            result["advice"] = fit.Advice;
            return CommandOutput.Emit(parse, result, o =>
            {
                Print(o, config, source);
                o.WriteLine($"device         {device.Name}, {device.Description}" + (device.Choice is { } why ? $" ({why})" : ""));
                o.WriteLine(fit.Plan.ToText());
                o.WriteLine(fit.Verdict);
            });
        });
        return command;
    }

    /// <summary>The plan of a run on a device in its dtype, and whether it fits there (null on the CPU, where it is not checked).</summary>
    public sealed record DeviceFitReport(MemoryPlan Plan, long? FreeBytes, bool? Fits, string? Advice, string Verdict);

    /// <summary>
    /// The memory plan of a pruning run of <paramref name="batch"/> sequences of <paramref name="seqLen"/> tokens on
    /// <paramref name="device"/> (its dtype, the read path it would take), against the memory its GPUs have free; on the
    /// CPU the plan is not checked (the host pages).
    /// </summary>
    public static DeviceFitReport PlanFor(Models.TransformerConfig config, RunDevice device, int batch, int seqLen, int? microBatch, bool recompute)
    {
        if (seqLen > config.MaxSeqLen) throw new EdgePruningException($"--seq-len {seqLen} exceeds the model's {config.MaxSeqLen} positions");
        bool onDevice = device.Backend is not null;
        var request = new MemoryPlanRequest
        {
            Config = config,
            EmbeddingNodes = Models.Graph.EdgeGraph.DefaultEmbeddingNodes(config),
            WeightDType = device.DType,
            ActivationDType = device.DType,
            Batch = batch,
            SeqLen = seqLen,
            MicroBatch = microBatch,
            Schedule = recompute ? ActivationSchedule.RecomputePerLayer : ActivationSchedule.KeepAllLayers,
            FusedReads = MaskedPassSettings.Default.ReadsFused(config, onDevice),
        };
        var plan = MemoryPlanner.Plan(request);
        if (device.FreeBytes() is not { } free)
            return new DeviceFitReport(plan, null, null, null, $"{device.Name}: the plan is not checked against host memory");
        if (plan.Fits(free))
            return new DeviceFitReport(plan, free, true, null,
                $"{device.Name}: fits ({ByteCount.Format(plan.TotalBytes)} of {ByteCount.Format(free)} free)");
        string advice = DeviceFit.Advice(request, free);
        return new DeviceFitReport(plan, free, false, advice,
            $"{device.Name}: does not fit ({ByteCount.Format(plan.TotalBytes)} needed, {ByteCount.Format(free)} free); {advice}");
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
