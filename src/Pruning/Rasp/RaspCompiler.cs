using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// Compiles a RASP program into the Tracr architecture (no norm, ReLU MLPs, non-causal attention, BOS at
/// position 0, zero biases: the <c>one</c> dimension is the bias). Each s-op owns its residual dimensions
/// (<see cref="ResidualLayout"/>), each op sits in the earliest sublayer after its inputs
/// (<see cref="LayerAllocator"/>), and unused heads and MLPs stay all zero.
/// <list type="bullet">
/// <item>Categorical map: a hidden unit per input value (a lookup table; no bias needed).</item>
/// <item>Map of a numerical input: a discretising MLP, a step of two ReLUs between neighbouring input values.</item>
/// <item>Sequence map: a hidden unit per value pair, relu(a:x + b:y − one).</item>
/// <item>Select + aggregate: one head, query·key = coldness where the predicate holds, plus a BOS fallback
/// one·BOS = coldness/2, so a query that selects nothing attends to BOS (whose value is 0) and one that
/// selects something leaks only e^(−coldness/2/√d) onto it.</item>
/// <item>Selector width: a head whose BOS score equals a selected key's, reading the BOS flag as value, so it
/// writes 1/(width+1); the MLP of the same layer decodes that into a categorical width and clears the BOS
/// position.</item>
/// </list>
/// </summary>
public static class RaspCompiler
{
    public const string Bos = "BOS";
    public const string Pad = "compiler_pad";
    /// <summary>Attention logit of a selected key before the 1/√d scale (Tracr's softmax coldness).</summary>
    public const float Coldness = 100f;

    /// <param name="readoutScale">Weight of the categorical readout: the class scores are this times a one-hot.
    /// Tracr's is 1; a larger one sharpens the output distribution, so that a broken circuit costs more KL.</param>
    public static CompiledProgram Compile(string name, SOp output, IEnumerable<object> vocabulary, int maxLength, float readoutScale = 1f)
    {
        if (maxLength < 1) throw new EdgePruningException($"max length must be at least 1, got {maxLength}");
        var vocab = RaspValues.SortedDistinct(vocabulary);
        var order = LayerAllocator.TopologicalOrder(output);
        var sets = ValueSets.Infer(order, vocab, maxLength);
        var sublayer = LayerAllocator.Allocate(order);
        int layers = Math.Max(1, order.Max(s => sublayer[s]) / 2 + 1);

        var layout = new ResidualLayout();
        int one = layout.Add(ResidualLayout.One);
        foreach (var v in vocab) layout.Add(ResidualLayout.Of(Rasp.Tokens, v));
        int bos = layout.Add(ResidualLayout.Bos);
        foreach (var v in sets[Rasp.Indices]) layout.Add(ResidualLayout.Of(Rasp.Indices, v));
        foreach (var sop in order)
        {
            if (sop is TokensSOp or IndicesSOp) continue;
            if (sop is SelectorWidthSOp w) layout.Add(ResidualLayout.WidthHidden(w));
            if (sop.IsNumerical) layout.Add(ResidualLayout.Of(sop));
            else foreach (var v in sets[sop]) layout.Add(ResidualLayout.Of(sop, v));
        }

        var b = new Builder(layout, sets, one, bos);
        var heads = Enumerable.Range(0, layers).Select(_ => new List<(SOp Op, HeadSpec Spec)>()).ToArray();
        var mlps = Enumerable.Range(0, layers).Select(_ => new List<MlpUnit>()).ToArray();
        foreach (var sop in order)
        {
            switch (sop)
            {
                case AggregateSOp g:
                    heads[sublayer[g] / 2].Add((g, b.AggregateHead(g)));
                    break;
                case SelectorWidthSOp w:
                    heads[sublayer[w] / 2].Add((w, b.SelectorWidthHead(w)));
                    mlps[sublayer[w] / 2].AddRange(b.SelectorWidthMlp(w, maxLength));
                    break;
                case MapSOp m:
                    mlps[sublayer[m] / 2].AddRange(b.MapMlp(m));
                    break;
                case SequenceMapSOp s:
                    mlps[sublayer[s] / 2].AddRange(b.SequenceMapMlp(s));
                    break;
            }
        }

        int d = layout.Dim;
        int headCount = Math.Max(1, heads.Max(h => h.Count));
        int headDim = Math.Max(1, heads.SelectMany(h => h).Select(h => h.Spec.Q.Count).DefaultIfEmpty(1).Max());
        int valueDim = Math.Max(1, heads.SelectMany(h => h).Select(h => h.Spec.V.Count).DefaultIfEmpty(1).Max());
        int mlpDim = Math.Max(1, mlps.Max(m => m.Count));

        var vocabIds = vocab.Select(RaspValues.Name).Append(Bos).Append(Pad).Order(StringComparer.Ordinal)
            .Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i, StringComparer.Ordinal);
        if (vocabIds.Count != vocab.Count + 2) throw new EdgePruningException($"the vocabulary of {name} uses the reserved tokens {Bos} or {Pad}");

        var tok = new float[vocabIds.Count * d];
        foreach (var v in vocab)
        {
            int id = vocabIds[RaspValues.Name(v)];
            tok[id * d + one] = 1;
            tok[id * d + layout[ResidualLayout.Of(Rasp.Tokens, v)]] = 1;
        }
        tok[vocabIds[Bos] * d + one] = 1;
        tok[vocabIds[Bos] * d + bos] = 1;
        // BOS (position 0) has no index: indices of the program start at the first real token.
        var pos = new float[(maxLength + 1) * d];
        for (int p = 1; p <= maxLength; p++) pos[p * d + layout[ResidualLayout.Of(Rasp.Indices, p - 1)]] = 1;

        var placements = new Dictionary<SOp, (int Layer, int Head)>(ReferenceEqualityComparer.Instance);
        var layerWeights = new LayerWeights[layers];
        for (int l = 0; l < layers; l++)
        {
            var wq = new float[headCount * headDim * d];
            var wk = new float[headCount * headDim * d];
            var wv = new float[headCount * valueDim * d];
            var wo = new float[d * headCount * valueDim];
            for (int h = 0; h < heads[l].Count; h++)
            {
                var (op, spec) = heads[l][h];
                placements[op] = (l, h);
                for (int c = 0; c < spec.Q.Count; c++)
                {
                    foreach (var (dim, w) in spec.Q[c]) wq[(h * headDim + c) * d + dim] += w;
                    foreach (var (dim, w) in spec.K[c]) wk[(h * headDim + c) * d + dim] += w;
                }
                for (int c = 0; c < spec.V.Count; c++)
                {
                    foreach (var (dim, w) in spec.V[c]) wv[(h * valueDim + c) * d + dim] += w;
                    foreach (var (dim, w) in spec.O[c]) wo[dim * headCount * valueDim + h * valueDim + c] += w;
                }
            }
            var w1 = new float[mlpDim * d];
            var w2 = new float[d * mlpDim];
            for (int u = 0; u < mlps[l].Count; u++)
            {
                foreach (var (dim, w) in mlps[l][u].In) w1[u * d + dim] += w;
                foreach (var (dim, w) in mlps[l][u].Out) w2[dim * mlpDim + u] += w;
            }
            layerWeights[l] = new LayerWeights
            {
                Wq = Tensor.FromData(wq, headCount * headDim, d), Bq = Tensor.Zeros(headCount * headDim),
                Wk = Tensor.FromData(wk, headCount * headDim, d), Bk = Tensor.Zeros(headCount * headDim),
                Wv = Tensor.FromData(wv, headCount * valueDim, d), Bv = Tensor.Zeros(headCount * valueDim),
                Wo = Tensor.FromData(wo, d, headCount * valueDim), Bo = Tensor.Zeros(d),
                WUp = Tensor.FromData(w1, mlpDim, d), BUp = Tensor.Zeros(mlpDim),
                WDown = Tensor.FromData(w2, d, mlpDim), BDown = Tensor.Zeros(d),
            };
        }

        List<string>? classes = null;
        int? outputDim = null;
        float[] readout;
        if (output.IsNumerical)
        {
            outputDim = layout[ResidualLayout.Of(output)];
            readout = new float[d];
            readout[outputDim.Value] = 1;
        }
        else
        {
            classes = sets[output].Select(RaspValues.Name).ToList();
            readout = new float[classes.Count * d];
            for (int i = 0; i < classes.Count; i++) readout[i * d + layout[ResidualLayout.Of(output, sets[output][i])]] = readoutScale;
        }

        var config = new TransformerConfig
        {
            Family = ModelFamily.Tracr,
            Layers = layers,
            Heads = headCount,
            ModelDim = d,
            HeadDim = headDim,
            ValueDim = valueDim,
            MlpDim = mlpDim,
            VocabSize = vocabIds.Count,
            OutputSize = classes?.Count ?? 1,
            MaxSeqLen = maxLength + 1,
            Norm = NormKind.None,
            MlpActivation = Activation.Relu,
            LearnedPositions = true,
            Causal = false,
            TiedEmbeddings = false,
            AttentionBias = true,
            MlpBias = true,
            Readout = ReadoutKind.Projection,
            PadTokenId = vocabIds[Pad],
            BosTokenId = vocabIds[Bos],
        };
        var weights = new TransformerWeights
        {
            TokenEmbedding = Tensor.FromData(tok, vocabIds.Count, d),
            PositionEmbedding = Tensor.FromData(pos, maxLength + 1, d),
            Layers = layerWeights,
            Unembedding = Tensor.FromData(readout, classes?.Count ?? 1, d),
        };
        weights.Validate(config, name);
        var info = new TracrModelInfo(name, vocabIds, Bos, Pad, classes, outputDim);
        return new CompiledProgram
        {
            Name = name,
            Output = output,
            Vocabulary = vocab,
            MaxLength = maxLength,
            Config = config,
            Weights = weights,
            Info = info,
            Layout = layout,
            Order = order,
            ValueSets = sets,
            Sublayers = sublayer,
            Heads = placements,
            ReadoutScale = output.IsNumerical ? 1f : readoutScale,
        };
    }

    /// <summary>One attention head: per query/key channel the residual weights it reads; per value channel what it reads and writes.</summary>
    internal sealed record HeadSpec(List<Dictionary<int, float>> Q, List<Dictionary<int, float>> K,
        List<Dictionary<int, float>> V, List<Dictionary<int, float>> O);

    /// <summary>One ReLU hidden unit: its input weights and its output weights.</summary>
    internal sealed record MlpUnit(Dictionary<int, float> In, Dictionary<int, float> Out);

    private sealed class Builder(ResidualLayout layout, Dictionary<SOp, List<object>> sets, int one, int bos)
    {
        public HeadSpec AggregateHead(AggregateSOp g)
        {
            if (g.IsNumerical != g.Values.IsNumerical)
                throw new EdgePruningException($"aggregate '{g.Label}': a {(g.IsNumerical ? "numerical mean" : "categorical aggregate")} needs {(g.IsNumerical ? "numerical" : "categorical")} values; '{g.Values.Label}' is not");
            var (q, k) = QueryKey(g.Selector, 0.5f, g.Label);
            var v = new List<Dictionary<int, float>>();
            var o = new List<Dictionary<int, float>>();
            if (g.IsNumerical)
            {
                v.Add(new() { [layout[ResidualLayout.Of(g.Values)]] = 1 });
                o.Add(new() { [layout[ResidualLayout.Of(g)]] = 1 });
            }
            else
            {
                foreach (var value in sets[g.Values])
                {
                    v.Add(new() { [layout[ResidualLayout.Of(g.Values, value)]] = 1 });
                    o.Add(new() { [layout[ResidualLayout.Of(g, value)]] = 1 });
                }
            }
            return new HeadSpec(q, k, v, o);
        }

        public HeadSpec SelectorWidthHead(SelectorWidthSOp w)
        {
            var (q, k) = QueryKey(w.Selector, 1f, w.Label);
            return new HeadSpec(q, k, [new() { [bos] = 1 }], [new() { [layout[ResidualLayout.WidthHidden(w)]] = 1 }]);
        }

        /// <summary>Decodes 1/(width+1) into the categorical width; the BOS unit clears the BOS position.</summary>
        public IEnumerable<MlpUnit> SelectorWidthMlp(SelectorWidthSOp w, int maxLength)
        {
            int hidden = layout[ResidualLayout.WidthHidden(w)];
            var values = Enumerable.Range(0, maxLength + 1).Select(n => 1.0 / (n + 1)).Reverse().ToList();
            foreach (var u in Discretise(hidden, values, x => OneHot(w, (int)Math.Round(1 / x - 1)))) yield return u;
            yield return new MlpUnit(new() { [bos] = 1 }, new() { [hidden] = -1, [layout[ResidualLayout.Of(w, 0)]] = -1 });
        }

        public IEnumerable<MlpUnit> MapMlp(MapSOp m)
        {
            if (m.Input.IsNumerical)
            {
                var xs = sets[m.Input].Select(RaspValues.ToDouble).ToList();
                return Discretise(layout[ResidualLayout.Of(m.Input)], xs, x => Output(m, m.F(x)));
            }
            return sets[m.Input]
                .Select(x => new MlpUnit(new() { [layout[ResidualLayout.Of(m.Input, x)]] = 1 }, Output(m, m.F(x))))
                .Where(u => u.Out.Count > 0)
                .ToList();
        }

        public IEnumerable<MlpUnit> SequenceMapMlp(SequenceMapSOp s)
        {
            if (s.A.IsNumerical || s.B.IsNumerical || ReferenceEquals(s.A, s.B))
                throw new EdgePruningException($"sequence map '{s.Label}' needs two different categorical inputs");
            foreach (var x in sets[s.A])
            foreach (var y in sets[s.B])
            {
                var output = Output(s, s.F(x, y));
                if (output.Count == 0) continue;
                yield return new MlpUnit(new()
                {
                    [layout[ResidualLayout.Of(s.A, x)]] = 1,
                    [layout[ResidualLayout.Of(s.B, y)]] = 1,
                    [one] = -1,
                }, output);
            }
        }

        private (List<Dictionary<int, float>> Q, List<Dictionary<int, float>> K) QueryKey(Selector sel, float bosWeight, string label)
        {
            if (sel.Queries.IsNumerical || sel.Keys.IsNumerical)
                throw new EdgePruningException($"'{label}': select needs categorical keys and queries");
            var q = new List<Dictionary<int, float>>();
            var k = new List<Dictionary<int, float>>();
            foreach (var query in sets[sel.Queries])
            {
                var keys = new Dictionary<int, float>();
                foreach (var key in sets[sel.Keys])
                    if (sel.Selects(key, query)) keys[layout[ResidualLayout.Of(sel.Keys, key)]] = 1;
                if (keys.Count == 0) continue;
                q.Add(new() { [layout[ResidualLayout.Of(sel.Queries, query)]] = Coldness });
                k.Add(keys);
            }
            q.Add(new() { [one] = bosWeight * Coldness });
            k.Add(new() { [bos] = 1 });
            return (q, k);
        }

        /// <summary>
        /// An MLP for f on a numerical input taking the sorted <paramref name="xs"/>: f(x₀) from the <c>one</c>
        /// dimension, then between neighbours a step relu(L(x−b)+½) − relu(L(x−b)−½) that adds f(xᵢ) − f(xᵢ₋₁);
        /// L = 4/gap makes the step exactly 0 or 1 at every input value.
        /// </summary>
        private IEnumerable<MlpUnit> Discretise(int input, List<double> xs, Func<double, Dictionary<int, float>> f)
        {
            yield return new MlpUnit(new() { [one] = 1 }, f(xs[0]));
            for (int i = 1; i < xs.Count; i++)
            {
                var delta = new Dictionary<int, float>(f(xs[i]));
                foreach (var (dim, w) in f(xs[i - 1])) delta[dim] = delta.GetValueOrDefault(dim) - w;
                foreach (var dim in delta.Where(p => p.Value == 0).Select(p => p.Key).ToList()) delta.Remove(dim);
                if (delta.Count == 0) continue;
                double gap = xs[i] - xs[i - 1], mid = (xs[i] + xs[i - 1]) / 2, scale = 4 / gap;
                yield return new MlpUnit(new() { [input] = (float)scale, [one] = (float)(0.5 - scale * mid) }, delta);
                yield return new MlpUnit(new() { [input] = (float)scale, [one] = (float)(-0.5 - scale * mid) },
                    delta.ToDictionary(p => p.Key, p => -p.Value));
            }
        }

        private Dictionary<int, float> OneHot(SOp sop, object value) => new() { [layout[ResidualLayout.Of(sop, value)]] = 1 };

        private Dictionary<int, float> Output(SOp sop, object value)
        {
            if (!sop.IsNumerical) return OneHot(sop, value);
            double v = RaspValues.ToDouble(value);
            return v == 0 ? new() : new() { [layout[ResidualLayout.Of(sop)]] = (float)v };
        }
    }
}
