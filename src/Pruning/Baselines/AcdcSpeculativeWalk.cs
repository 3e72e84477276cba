using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>
/// ACDC's greedy walk (<see cref="Acdc"/>) with up to K trials scored per forward, deciding exactly as the
/// sequential walk does. From the walk's committed state it speculates that every coming trial is accepted, and
/// builds the K states the walk would then score: state k has trials 1..k removed (and, between them, the edges the
/// sequential walk removes without a trial: edges into a reader that no longer reaches the logits, judged at the
/// reader's first edge on the speculated state). One call of the KL function scores the K states. The walk then
/// decides the trials in order with the sequential rule (accept while kl_k − current &lt; τ, current the last accepted
/// KL); at the first rejection every later state is void, since it assumed that removal: the edge is restored, and the
/// next speculation starts from the edge after it. A reader's reachability is kept once the walk has passed its first
/// edge with every earlier trial decided as speculated, so that a restart inside a reader reads the value the
/// sequential walk computed at the reader's start.
/// </summary>
public static class AcdcSpeculativeWalk
{
    /// <param name="candidates">K, the most trials one call of <paramref name="kl"/> scores.</param>
    /// <param name="kl">The KL of each state of masks [states, edges] (f32 on the host, 1 kept): <see cref="Evaluation.GroupedCircuitScorer.Kl"/>.</param>
    /// <param name="initialKl">The full graph's KL, from the same scorer.</param>
    public static AcdcResult Run(MaskLayout layout, double threshold, int candidates, double initialKl, Func<Tensor, double[]> kl,
        Action<int, int>? progress = null)
    {
        if (!(threshold >= 0)) throw new EdgePruningException($"ACDC threshold must be ≥ 0, got {threshold}");
        if (candidates < 1) throw new EdgePruningException($"ACDC candidates per forward must be ≥ 1, got {candidates}");
        var graph = layout.Graph;
        int E = checked((int)layout.EdgeCount);
        var visits = Acdc.VisitOrder(layout);
        var kept = new bool[E];
        Array.Fill(kept, true);
        // Each reader's reachability at its first edge, once that is decided.
        var reaches = new Dictionary<int, bool>();
        double current = initialKl;
        int evaluations = 1, forwards = 1, next = 0;
        while (next < visits.Length)
        {
            var speculated = (bool[])kept.Clone();
            var trials = new List<(int Visit, bool[] State)>();
            var firstEdges = new List<(int Visit, int Reader, bool Reaches)>();
            int q = next;
            for (; q < visits.Length && trials.Count < candidates; q++)
            {
                var (r, e) = visits[q];
                if (!reaches.TryGetValue(r, out bool reach))
                {
                    int seen = firstEdges.FindIndex(f => f.Reader == r);
                    if (seen >= 0) reach = firstEdges[seen].Reaches;
                    else
                    {
                        reach = DanglingEdges.ReadersReachingLogits(graph, Acdc.Rows(layout, speculated))[r];
                        firstEdges.Add((q, r, reach));
                    }
                }
                if (!speculated[e]) continue;
                speculated[e] = false;
                if (reach) trials.Add((q, (bool[])speculated.Clone()));
            }
            int decidedUpTo;
            if (trials.Count == 0)
            {
                kept = speculated;
                decidedUpTo = visits.Length - 1;
            }
            else
            {
                var values = kl(States(trials, E));
                forwards++;
                int rejected = -1;
                for (int k = 0; k < trials.Count && rejected < 0; k++)
                {
                    evaluations++;
                    if (values[k] - current < threshold) current = values[k];
                    else rejected = k;
                }
                if (rejected >= 0)
                {
                    var (visit, state) = trials[rejected];
                    kept = state;
                    kept[visits[visit].Edge] = true;
                    decidedUpTo = visit;
                }
                else if (q == visits.Length)
                {
                    // Every trial accepted and the order exhausted: the removals after the last trial stand too.
                    kept = speculated;
                    decidedUpTo = visits.Length - 1;
                }
                else
                {
                    kept = trials[^1].State;
                    decidedUpTo = trials[^1].Visit;
                }
            }
            foreach (var (visit, reader, reach) in firstEdges)
                if (visit <= decidedUpTo) reaches[reader] = reach;
            next = decidedUpTo + 1;
            progress?.Invoke(next, E);
        }
        return new AcdcResult(kept, current, evaluations, forwards);
    }

    private static Tensor States(List<(int Visit, bool[] State)> trials, int E)
    {
        var t = Tensor.Zeros(trials.Count, E);
        var s = t.Span;
        for (int k = 0; k < trials.Count; k++)
        {
            var state = trials[k].State;
            for (int e = 0; e < E; e++) s[k * E + e] = state[e] ? 1f : 0f;
        }
        return t;
    }
}
