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
    public void ReadRows_GiveThoseRowsLogits_AndTheSameMaskGradientAsAFullReadoutWithGradientThere(string family, int embeddingNodes)
    {
        var (model, vocab, pad) = Build(family, seed: 13);
        var masked = new EdgeMaskedModel(model, embeddingNodes);
        int batch = 2, T = 5, V = model.Config.EffectiveOutputSize;
        var clean = RandomModels.Tokens(batch * T, vocab, seed: 7, exclude: pad);
        var corrupted = RandomModels.Tokens(batch * T, vocab, seed: 8, exclude: pad);
        int[] rows = [4, 6, 9, 2];
        var rng = new Random(3);
        var z = Tensor.Zeros(checked((int)masked.EdgeCount));
        for (int i = 0; i < z.Count; i++) z.Span[i] = (float)rng.NextDouble();
        var seed = Enumerable.Range(0, rows.Length * V).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var baseline = masked.Forward(corrupted, batch).Outputs;

        var fullTape = new Tape();
        var full = masked.Forward(clean, batch, baseline, z, tape: fullTape);
        for (int i = 0; i < rows.Length; i++) seed.AsSpan(i * V, V).CopyTo(full.LogitsGrad.Span.Slice(rows[i] * V, V));
        fullTape.Backward();

        var pickedTape = new Tape();
        var picked = masked.Forward(clean, batch, baseline, z, tape: pickedTape, readRows: rows);
        Assert.Equal(new[] { rows.Length, V }, picked.Logits.Shape.Dims.ToArray());
        seed.CopyTo(picked.LogitsGrad.Span);
        pickedTape.Backward();

        var plainPicked = model.Forward(clean, batch, readRows: rows);
        for (int i = 0; i < rows.Length; i++)
        {
            AssertClose(full.Logits.Span.Slice(rows[i] * V, V), picked.Logits.Span.Slice(i * V, V), ForwardTolerance);
            AssertClose(model.Forward(clean, batch).Span.Slice(rows[i] * V, V), plainPicked.Span.Slice(i * V, V), ForwardTolerance);
        }
        AssertClose(full.EdgeGrad.Span, picked.EdgeGrad.Span, 1e-4f);
        Assert.Contains(picked.EdgeGrad.Span.ToArray(), g => g != 0);
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
            // Without embedding nodes the clean embedding reaches every reader unmasked and every writer is
            // ablated to its corrupted output: the readout reads E_clean + Σ_w ỹ_w. Build that by hand.
            var c = model.Config;
            int n = batch * T, d = c.ModelDim;
            var k = ReferenceKernels.Instance;
            var x = Tensor.Zeros(n, d);
            k.Embedding(model.Weights.TokenEmbedding, clean, x);
            if (model.Weights.PositionEmbedding is { } pe)
            {
                var pos = Tensor.Zeros(n, d);
                k.Embedding(pe, Enumerable.Range(0, n).Select(i => i % T).ToArray(), pos);
                k.Add(x, pos, x);
            }
            for (int w = 0; w < masked.Writers; w++) k.Add(x, baseline.Row(w).Reshape(n, d), x);
            var normed = Tensor.Zeros(n, d);
            if (c.Norm == NormKind.LayerNorm) k.LayerNorm(x, model.Weights.FinalNormWeight!, model.Weights.FinalNormBias, normed, c.NormEps);
            else if (c.Norm == NormKind.RmsNorm) k.RmsNorm(x, model.Weights.FinalNormWeight!, normed, c.NormEps);
            else k.Copy(x, normed);
            var byHand = Tensor.Zeros(n, c.EffectiveOutputSize);
            k.Linear(normed, model.Weights.Unembedding, null, byHand);
            AssertClose(byHand.Span, pass.Logits.Span, ForwardTolerance);
            // And it is not the corrupted run: the clean embedding is there.
            Assert.True(MaxRelativeDifference(model.Forward(corrupted, batch).Span, pass.Logits.Span) > 1e-3,
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

        double scale = LossScale(pass.Logits, g);
        var picks = Enumerable.Range(0, z.Span.Length).ToArray(); // every edge: a few hundred small forwards
        int informative = 0;
        foreach (int i in picks)
        {
            var (numeric, error) = Numeric(z, i, () => Loss(z, m), scale);
            AssertGradient(numeric, error, pass.EdgeGrad.Span[i], $"edge {masked.Layout.EdgeName(i)}");
            if (Math.Abs(numeric) > 10 * error) informative++;
        }
        for (int w = 0; w < W; w++)
        {
            var (numeric, error) = Numeric(m, w, () => Loss(z, m), scale);
            AssertGradient(numeric, error, pass.NodeGrad.Span[w], $"node {masked.Graph.Writers[w]}");
        }
        // The check has to be about something: many edges must have a gradient well above the estimate's error.
        Assert.True(informative >= Math.Max(6, picks.Length / 5), $"only {informative} of {picks.Length} edges have |numeric| > 10× its error");
    }

    /// <summary>
    /// The derivative of <paramref name="loss"/> in entry <paramref name="i"/> of <paramref name="x"/>: central
    /// differences at h = 0.05 and h/2 combined by Richardson extrapolation (truncation O(h⁴)), and the error of
    /// that estimate: the extrapolation's correction (a bound on the truncation left in the h/2 difference) plus
    /// the f32 rounding of the loss, 8·2⁻²⁴·<paramref name="scale"/> per evaluation over 2·(h/2). At h = 1e-2
    /// alone the rounding (≈ 2.5e-5 on the GPT-2-like model) is as large as many of the gradients.
    /// </summary>
    private static (double Numeric, double Error) Numeric(Tensor x, int i, Func<double> loss, double scale)
    {
        double At(double h)
        {
            float saved = x.Span[i];
            x.Span[i] = saved + (float)h; double up = loss();
            x.Span[i] = saved - (float)h; double down = loss();
            x.Span[i] = saved;
            return (up - down) / (2 * h);
        }
        const double h = 5e-2;
        double coarse = At(h), fine = At(h / 2);
        double rounding = 8 * Math.Pow(2, -24) * scale / (h / 2);
        return ((4 * fine - coarse) / 3, Math.Abs(fine - coarse) / 3 + rounding);
    }

    /// <summary>Σ |logit·g|: the size of the f32 sums a finite-difference loss rounds.</summary>
    private static double LossScale(Tensor logits, Tensor g)
    {
        double s = 0;
        for (int i = 0; i < g.Span.Length; i++) s += Math.Abs((double)logits.Span[i] * g.Span[i]);
        return s;
    }

    /// <summary>
    /// Within 2 % of the numeric gradient plus twice its own error: a zero analytic gradient passes only where
    /// |numeric| ≤ 2·error/0.98, that is where the numeric gradient cannot be told from 0.
    /// </summary>
    private static void AssertGradient(double numeric, double error, double analytic, string what) =>
        Assert.True(Math.Abs(numeric - analytic) <= 2e-2 * Math.Abs(numeric) + 2 * error,
            $"{what}: analytic {analytic}, numeric {numeric} (its error ≈ {error:E1})");

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

        double scale = LossScale(pass.Logits, g);
        for (int trial = 0; trial < 24; trial++)
        {
            int i = rng.Next(baseline.Span.Length);
            var (numeric, error) = Numeric(baseline, i, Loss, scale);
            AssertGradient(numeric, error, pass.BaselineGrad!.Span[i], $"baseline entry {i}");
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
