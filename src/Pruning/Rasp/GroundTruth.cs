using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// The circuit a compiled program computes with, read off its dataflow: which writer feeds which reader,
/// in the MIB edge naming of <see cref="EdgeGraph"/>. Starting at the readout (which reads the output
/// s-op) and walking back, every op adds an edge from the writer of each residual subspace it reads:
/// <list type="bullet">
/// <item>tokens, the <c>one</c> dimension and the BOS flag are written by <c>tok_embeds</c>; indices by
/// <c>pos_embeds</c>; an aggregate by its head; a map, sequence map or selector width by its layer's MLP.</item>
/// <item>Map of a categorical input: the input only (a lookup table needs no bias). Map of a numerical input,
/// sequence map, and the selector-width MLP also read <c>one</c> (their bias), so <c>tok_embeds</c>.</item>
/// <item>Aggregate: q reads the query s-op, k the key s-op, v the aggregated s-op.</item>
/// <item>The BOS fallback (q reads <c>one</c>, k reads the BOS flag: both <c>tok_embeds</c>) is part of the
/// circuit only where a scored query selects nothing, which then averages BOS's zero. The BOS query always
/// selects nothing (BOS has no index or token value), so programs scored at BOS need it; elsewhere a query
/// that selects something leaks just e^(−coldness/2/√d) onto BOS, and the fallback edges are not needed.</item>
/// <item>Selector width: its head always attends to BOS (that is the signal), so q and k read <c>one</c> and
/// BOS besides the selector's s-ops, and v reads BOS: all from <c>tok_embeds</c> where the s-ops are tokens.
/// With the TRUE predicate every key scores the same, which is also what a zero query or key gives: at the
/// non-BOS positions the q and k edges change nothing and are not in the circuit unless BOS is scored.</item>
/// </list>
/// Categorical programs are scored at positions 1..n, numerical ones at every position including BOS
/// (as <see cref="RaspTasks"/> and the paper's Tracr tasks do).
/// </summary>
public static class GroundTruth
{
    public const string TokenWriter = "tok_embeds";
    public const string PositionWriter = "pos_embeds";

    /// <param name="inputs">The task's inputs (without BOS): where a selection can be empty is read from them.</param>
    public static IReadOnlyList<string> Derive(CompiledProgram program, IEnumerable<IReadOnlyList<object>> inputs)
    {
        bool scoreBos = !program.IsCategorical;
        var evaluators = inputs.Select(i => new RaspEvaluator(i)).ToList();
        var edges = new SortedSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<SOp>(ReferenceEqualityComparer.Instance);

        string Writer(SOp s) => s switch
        {
            TokensSOp => TokenWriter,
            IndicesSOp => PositionWriter,
            AggregateSOp => Head(s),
            _ => Mlp(s),
        };
        string Head(SOp s) => $"a{program.Heads[s].Layer}.h{program.Heads[s].Head}";
        string Mlp(SOp s) => $"m{program.Sublayers[s] / 2}";
        void Edge(string writer, string reader) => edges.Add(writer + "->" + reader);

        bool EmptySelection(Selector sel) => scoreBos || evaluators.Any(e =>
        {
            int n = e.Values(Rasp.Tokens).Length;
            return Enumerable.Range(0, n).Any(q => e.SelectedKeys(sel, q).Count == 0);
        });

        void Visit(SOp sop)
        {
            if (!visited.Add(sop)) return;
            switch (sop)
            {
                case MapSOp m:
                    Edge(Writer(m.Input), Mlp(m));
                    if (m.Input.IsNumerical) Edge(TokenWriter, Mlp(m));
                    break;
                case SequenceMapSOp s:
                    Edge(Writer(s.A), Mlp(s));
                    Edge(Writer(s.B), Mlp(s));
                    Edge(TokenWriter, Mlp(s));
                    break;
                case AggregateSOp g:
                    string head = Head(g);
                    Edge(Writer(g.Selector.Queries), head + "<q>");
                    Edge(Writer(g.Selector.Keys), head + "<k>");
                    Edge(Writer(g.Values), head + "<v>");
                    if (EmptySelection(g.Selector))
                    {
                        Edge(TokenWriter, head + "<q>");
                        Edge(TokenWriter, head + "<k>");
                    }
                    break;
                case SelectorWidthSOp w:
                    string width = Head(w);
                    bool uniform = w.Selector.Predicate == Comparison.True && !scoreBos;
                    if (!uniform)
                    {
                        Edge(Writer(w.Selector.Queries), width + "<q>");
                        Edge(Writer(w.Selector.Keys), width + "<k>");
                        Edge(TokenWriter, width + "<q>");
                        Edge(TokenWriter, width + "<k>");
                    }
                    Edge(TokenWriter, width + "<v>");
                    Edge(width, Mlp(w));
                    Edge(TokenWriter, Mlp(w));
                    if (uniform) return;
                    break;
            }
            foreach (var input in sop.Inputs) Visit(input);
        }

        Edge(Writer(program.Output), "logits");
        Visit(program.Output);
        return edges.ToList();
    }
}
