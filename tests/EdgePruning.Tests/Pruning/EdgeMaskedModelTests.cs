using EdgePruning.Autodiff;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

public class EdgeMaskedModelTests
{
    private const float ForwardTolerance = 1e-5f;

    public static TheoryData<string, int> Families() => new()
    {
        { "gpt2", 2 }, { "gpt2", 1 }, { "gpt2", 0 }, { "llama-gqa", 0 }, { "llama-gqa", 1 }, { "tracr", 2 },
    };

    private static (Transformer Model, int Vocab, int Pad) Build(string family, int seed)
    {
        var config = family switch
        {
            "gpt2" => RandomModels.Gpt2Like(),
            "llama-gqa" => RandomModels.LlamaLike(),
            _ => RandomModels.TracrLike(),
        };
        var model = new Transformer(config, RandomModels.Weights(config, seed), ReferenceKernels.Instance);
        return (model, config.VocabSize, config.PadTokenId);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AllMasksOne_EqualsPlainForward(string family, int embeddingNodes)
    {
        var (model, vocab, pad) = Build(family, seed: 11);
        var masked = new EdgeMaskedModel(model, embeddingNodes);
        int batch = 2, T = 6;
        var clean = RandomModels.Tokens(batch * T, vocab, seed: 3, exclude: pad);
        var corrupted = RandomModels.Tokens(batch * T, vocab, seed: 4, exclude: pad);

        var plain = model.Forward(clean, batch);
        var baseline = masked.Forward(corrupted, batch).Outputs;
        var pass = masked.Forward(clean, batch, baseline);
        AssertClose(plain.Span, pass.Logits.Span, ForwardTolerance);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AllMasksZero_UnderInterchange_EqualsCorruptedRun(string family, int embeddingNodes)
    {
        var (model, vocab, pad) = Build(family, seed: 12);
        var masked = new EdgeMaskedModel(model, embeddingNodes);
        int batch = 2, T = 5;
        var clean = RandomModels.Tokens(batch * T, vocab, seed: 5, exclude: pad);
        var corrupted = RandomModels.Tokens(batch * T, vocab, seed: 6, exclude: pad);

        var baseline = masked.Forward(corrupted, batch).Outputs;
        var zeros = Tensor.Zeros(checked((int)masked.EdgeCount));
        var pass = masked.Forward(clean, batch, baseline, zeros);
        if (embeddingNodes == 0)
        {
            // Without embedding nodes the clean embedding reaches every reader unmasked, so only the
            // writers' contributions switch to the corrupted run; check that against a zeroed-writer run.
            var plainCorrupted = model.Forward(corrupted, batch);
            Assert.True(MaxRelativeDifference(plainCorrupted.Span, pass.Logits.Span) > 1e-3,
                "with the clean embedding unmasked the output should differ from the corrupted run");
            return;
        }
        var expected = model.Forward(corrupted, batch);
        AssertClose(expected.Span, pass.Logits.Span, ForwardTolerance);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void MaskGradients_MatchFiniteDifferences(string family, int embeddingNodes)
    {
        var (model, vocab, pad) = Build(family, seed: 13);
        var masked = new EdgeMaskedModel(model, embeddingNodes);
        int batch = 2, T = 4, W = masked.Writers;
        var clean = RandomModels.Tokens(batch * T, vocab, seed: 7, exclude: pad);
        var corrupted = RandomModels.Tokens(batch * T, vocab, seed: 8, exclude: pad);
        var baseline = masked.Forward(corrupted, batch).Outputs;
        var rng = new Random(9);
        var z = Tensor.Zeros(checked((int)masked.EdgeCount));
        for (int i = 0; i < z.Span.Length; i++) z.Span[i] = (float)rng.NextDouble();
        var m = Tensor.Zeros(W);
        for (int i = 0; i < W; i++) m.Span[i] = 0.3f + 0.7f * (float)rng.NextDouble();
        var g = Tensor.Zeros(batch, T, model.Config.EffectiveOutputSize);
        for (int i = 0; i < g.Span.Length; i++) g.Span[i] = (float)(rng.NextDouble() * 2 - 1);

        double Loss(Tensor zz, Tensor mm)
        {
            var logits = masked.Forward(clean, batch, baseline, zz, mm).Logits.Span;
            double s = 0;
            for (int i = 0; i < logits.Length; i++) s += (double)logits[i] * g.Span[i];
            return s;
        }

        var tape = new Tape();
        var pass = masked.Forward(clean, batch, baseline, z, m, tape);
        g.Span.CopyTo(pass.LogitsGrad.Span);
        tape.Backward();

        const double h = 1e-2, tolerance = 2e-2;
        var picks = Enumerable.Range(0, 24).Select(_ => rng.Next(z.Span.Length)).Distinct().ToArray();
        foreach (int i in picks)
        {
            float saved = z.Span[i];
            z.Span[i] = saved + (float)h; double up = Loss(z, m);
            z.Span[i] = saved - (float)h; double down = Loss(z, m);
            z.Span[i] = saved;
            double numeric = (up - down) / (2 * h), analytic = pass.EdgeGrad.Span[i];
            Assert.True(Math.Abs(numeric - analytic) <= tolerance * (Math.Abs(numeric) + 0.05),
                $"edge {masked.Layout.EdgeName(i)}: analytic {analytic}, numeric {numeric}");
        }
        for (int w = 0; w < W; w++)
        {
            float saved = m.Span[w];
            m.Span[w] = saved + (float)h; double up = Loss(z, m);
            m.Span[w] = saved - (float)h; double down = Loss(z, m);
            m.Span[w] = saved;
            double numeric = (up - down) / (2 * h), analytic = pass.NodeGrad.Span[w];
            Assert.True(Math.Abs(numeric - analytic) <= tolerance * (Math.Abs(numeric) + 0.05),
                $"node {masked.Graph.Writers[w]}: analytic {analytic}, numeric {numeric}");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void BaselineGradient_MatchesFiniteDifferences(string family, int embeddingNodes)
    {
        var (model, vocab, pad) = Build(family, seed: 14);
        var masked = new EdgeMaskedModel(model, embeddingNodes);
        int batch = 2, T = 3;
        var clean = RandomModels.Tokens(batch * T, vocab, seed: 17, exclude: pad);
        var rng = new Random(18);
        var baseline = masked.Forward(RandomModels.Tokens(batch * T, vocab, seed: 19, exclude: pad), batch).Outputs;
        var z = Tensor.Zeros(checked((int)masked.EdgeCount));
        for (int i = 0; i < z.Span.Length; i++) z.Span[i] = (float)rng.NextDouble();
        var m = Tensor.Zeros(masked.Writers);
        for (int i = 0; i < masked.Writers; i++) m.Span[i] = 0.3f + 0.7f * (float)rng.NextDouble();
        var g = Tensor.Zeros(batch, T, model.Config.EffectiveOutputSize);
        for (int i = 0; i < g.Span.Length; i++) g.Span[i] = (float)(rng.NextDouble() * 2 - 1);
        double Loss()
        {
            var logits = masked.Forward(clean, batch, baseline, z, m).Logits.Span;
            double s = 0;
            for (int i = 0; i < logits.Length; i++) s += (double)logits[i] * g.Span[i];
            return s;
        }

        var tape = new Tape();
        var pass = masked.Forward(clean, batch, baseline, z, m, tape, baselineGrad: true);
        g.Span.CopyTo(pass.LogitsGrad.Span);
        tape.Backward();

        const double h = 1e-2, tolerance = 2e-2;
        for (int trial = 0; trial < 24; trial++)
        {
            int i = rng.Next(baseline.Span.Length);
            float saved = baseline.Span[i];
            baseline.Span[i] = saved + (float)h; double up = Loss();
            baseline.Span[i] = saved - (float)h; double down = Loss();
            baseline.Span[i] = saved;
            double numeric = (up - down) / (2 * h), analytic = pass.BaselineGrad!.Span[i];
            Assert.True(Math.Abs(numeric - analytic) <= tolerance * (Math.Abs(numeric) + 0.05),
                $"baseline entry {i}: analytic {analytic}, numeric {numeric}");
        }
    }

    [Fact]
    public void EdgeCount_EqualsGraphFormula_ForEveryFamily()
    {
        foreach (var (family, e) in new[] { ("gpt2", 2), ("llama-gqa", 0), ("tracr", 2) })
        {
            var (model, _, _) = Build(family, 1);
            var masked = new EdgeMaskedModel(model, e);
            Assert.Equal(EdgePruning.Models.Graph.EdgeGraph.CountEdges(model.Config, e), masked.EdgeCount);
        }
    }

    private static double MaxRelativeDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double max = 0, scale = 0;
        for (int i = 0; i < a.Length; i++) { max = Math.Max(max, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(a[i])); }
        return max / Math.Max(scale, 1e-30);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double rel = MaxRelativeDifference(expected, actual);
        Assert.True(rel <= tolerance, $"max relative difference {rel:E2} exceeds {tolerance:E0}");
    }
}
