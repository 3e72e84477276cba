using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Baselines;

/// <summary>
/// The speculative walk against the sequential one on a synthetic KL over a real edge graph: each removal costs its
/// edge's weight (most far below τ, some above), and pairs of edges close in the visit order cost more together, so
/// that a decision depends on the ones before it. Reader outputs go dangling along the way, so trials are also
/// skipped. Whatever K, the walks keep the same edges, reach the same KL and decide the same number of trials.
/// </summary>
public class AcdcSpeculativeWalkTests
{
    private const double Tau = 1.0;

    private static readonly MaskLayout Layout = new(EdgeGraph.For(RandomModels.Gpt2Like(layers: 3, heads: 4), 2));

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 3)]
    [InlineData(16, 4)]
    [InlineData(400, 5)]
    public void SpeculativeWalk_DecidesAsTheSequentialWalk(int candidates, int seed)
    {
        var kl = SyntheticKl(seed);
        var sequential = Acdc.Sequential(Layout, Tau, z => kl(z.Span));
        var speculative = AcdcSpeculativeWalk.Run(Layout, Tau, candidates, kl(Ones()), States(kl));

        int E = (int)Layout.EdgeCount, kept = sequential.Kept.Count(k => k);
        Assert.True(kept > E / 10 && kept < E * 9 / 10, $"{kept} of {E} edges kept: the KL must leave both decisions common");
        Assert.True(sequential.Evaluations < E + 1, "no trial was skipped for a dangling reader");
        Assert.Equal(sequential.Kept, speculative.Kept);
        Assert.Equal(sequential.Kl, speculative.Kl);
        Assert.Equal(sequential.Evaluations, speculative.Evaluations);
        Assert.True(speculative.Forwards < sequential.Forwards, $"{speculative.Forwards} forwards at K = {candidates}, {sequential.Forwards} sequentially");
    }

    /// <summary>
    /// The comparison above can fail: a walk that, after a rejection, goes on deciding the later trials of the same
    /// forward (scored on states that assumed the rejected removal) instead of speculating again keeps other edges.
    /// </summary>
    [Fact]
    public void AWalkThatDoesNotRestartAfterARejection_KeepsOtherEdges()
    {
        var kl = SyntheticKl(seed: 3);
        var sequential = Acdc.Sequential(Layout, Tau, z => kl(z.Span));
        Assert.Equal(sequential.Kept, AcdcSpeculativeWalk.Run(Layout, Tau, 8, kl(Ones()), States(kl)).Kept);
        Assert.NotEqual(sequential.Kept, WalkWithoutRestart(8, kl));
    }

    [Fact]
    public void CandidatesBelowOne_AreRefused()
    {
        var e = Assert.Throws<EdgePruningException>(() => AcdcSpeculativeWalk.Run(Layout, Tau, 0, 0, _ => []));
        Assert.Contains("≥ 1", e.Message);
    }

    /// <summary>KL = Σ w_e over removed edges + Σ v over removed pairs (e, e + 1..3 in edge order): w below τ/4 for 70% of the edges, else in (1.2τ, 3τ).</summary>
    private static Func<ReadOnlySpan<float>, double> SyntheticKl(int seed)
    {
        var rng = new Random(seed);
        int E = (int)Layout.EdgeCount;
        var w = new double[E];
        var pair = new double[E, 3];
        for (int e = 0; e < E; e++)
        {
            w[e] = rng.NextDouble() < 0.7 ? rng.NextDouble() * Tau / 4 : Tau * (1.2 + 1.8 * rng.NextDouble());
            for (int j = 0; j < 3; j++) pair[e, j] = rng.NextDouble() < 0.2 ? Tau * rng.NextDouble() : 0;
        }
        return z =>
        {
            double sum = 0;
            for (int e = 0; e < E; e++)
            {
                if (z[e] != 0) continue;
                sum += w[e];
                for (int j = 0; j < 3 && e + j + 1 < E; j++)
                    if (z[e + j + 1] == 0) sum += pair[e, j];
            }
            return sum;
        };
    }

    private static Func<Tensor, double[]> States(Func<ReadOnlySpan<float>, double> kl) => masks =>
    {
        int E = masks.Shape[1];
        return Enumerable.Range(0, masks.Shape[0]).Select(k => kl(masks.Span.Slice(k * E, E))).ToArray();
    };

    private static float[] Ones() => Enumerable.Repeat(1f, (int)Layout.EdgeCount).ToArray();

    /// <summary>The faulty walk: windows of K trials speculated as the real walk does, every trial of a window decided on its own state.</summary>
    private static bool[] WalkWithoutRestart(int candidates, Func<ReadOnlySpan<float>, double> kl)
    {
        var visits = Acdc.VisitOrder(Layout);
        var kept = Enumerable.Repeat(true, (int)Layout.EdgeCount).ToArray();
        var reaches = new Dictionary<int, bool>();
        double current = kl(Ones());
        for (int next = 0; next < visits.Length;)
        {
            var speculated = (bool[])kept.Clone();
            var trials = new List<(int Edge, double Kl)>();
            for (; next < visits.Length && trials.Count < candidates; next++)
            {
                var (r, e) = visits[next];
                if (!reaches.TryGetValue(r, out bool reach))
                    reaches[r] = reach = DanglingEdges.ReadersReachingLogits(Layout.Graph, Acdc.Rows(Layout, speculated))[r];
                speculated[e] = false;
                kept[e] = false;
                if (reach) trials.Add((e, kl(speculated.Select(k => k ? 1f : 0f).ToArray())));
            }
            foreach (var (e, value) in trials)
                if (value - current < Tau) current = value;
                else kept[e] = true;
        }
        return kept;
    }
}
