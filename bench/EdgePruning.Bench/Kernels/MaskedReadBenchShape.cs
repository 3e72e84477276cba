using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The attention readers of the middle layer of a model, read over <see cref="Tokens"/> positions: R = ρ
/// (the Q/K/V readers of a layer), U = the writers they see (<see cref="MaskLayout.AttentionVisible"/> of
/// layer L/2, with the family's usual embedding nodes), N = micro-batch × sequence, d the model dimension,
/// the family's norm. <see cref="Name"/> is the benchmark parameter.
/// </summary>
public sealed record MaskedReadBenchShape(string Name, string Description, MaskedReadShape Shape, MaskedReadNormKind Norm)
{
    /// <summary>
    /// The shapes the benchmarks know: the two the GPU runs (GPT-2 small at 32 × 64 tokens, as
    /// <c>edgeprune bench --shape gpt2-small --batch 32 --seq 64</c>; Llama-7B at a micro-batch of 4 × 72
    /// tokens, as <c>--shape llama-7b --seq 72 --micro-batch 4</c>) and two that the scalar CPU oracle
    /// finishes in well under a second per call.
    /// </summary>
    public static IReadOnlyList<MaskedReadBenchShape> All { get; } =
    [
        MiddleLayer("gpt2-small", KnownShapes.Gpt2Small(), batch: 32, seq: 64),
        MiddleLayer("llama-7b", KnownShapes.Llama7B(), batch: 4, seq: 72),
        MiddleLayer("gpt2-small-64", KnownShapes.Gpt2Small(), batch: 1, seq: 64),
        MiddleLayer("stories15m", KnownShapes.Stories15M(), batch: 1, seq: 256),
    ];

    /// <summary>What a device runs unless EDGEPRUNE_BENCH_SHAPES names others (comma-separated).</summary>
    public static IReadOnlyList<string> DefaultNames(string device) =>
        device == "cpu" ? ["gpt2-small-64", "stories15m"] : ["gpt2-small", "llama-7b"];

    public static MaskedReadBenchShape ForName(string name) =>
        All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown masked-read shape '{name}'; known: {string.Join(", ", All.Select(s => s.Name))}");

    /// <summary>
    /// The minimum bytes one call moves (<see cref="MaskedReadShape.ForwardBytes"/> or
    /// <see cref="MaskedReadShape.BackwardBytes"/>) with D, y (dY) and dD in <paramref name="dtype"/>: the figure both
    /// paths are charged, so that their bandwidth figures compare.
    /// </summary>
    public long MinimumBytes(MaskedReadDirection direction, DType dtype)
    {
        var gamma = Tensor.Empty(DType.F32, Shape.Dim);
        var norm = Norm == MaskedReadNormKind.LayerNorm
            ? MaskedReadNorm.LayerNorm(gamma, Tensor.Empty(DType.F32, Shape.Dim), 1e-5f)
            : MaskedReadNorm.RmsNorm(gamma, 1e-5f);
        return direction == MaskedReadDirection.Forward
            ? Shape.ForwardBytes(norm, dtype, dtype)
            : Shape.BackwardBytes(norm, dtype, dtype, dtype);
    }

    private static MaskedReadBenchShape MiddleLayer(string name, TransformerConfig config, int batch, int seq)
    {
        var layout = new MaskLayout(EdgeGraph.For(config));
        int layer = config.Layers / 2;
        var shape = new MaskedReadShape(layout.AttentionReaders, layout.AttentionVisible(layer), batch * seq, config.ModelDim);
        var norm = config.Norm == NormKind.RmsNorm ? MaskedReadNormKind.RmsNorm : MaskedReadNormKind.LayerNorm;
        return new(name, $"layer {layer} attention readers, {batch}x{seq} tokens: R={shape.Readers} U={shape.Writers} N={shape.Tokens} d={shape.Dim}",
            shape, norm);
    }
}
