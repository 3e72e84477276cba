using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Rasp;

/// <summary>The programs that ship with the compiler; <see cref="Default"/> is what <c>edgeprune prune</c> runs.</summary>
public static class Programs
{
    public const string Default = "xproportion";

    public static IReadOnlyList<RaspProgram> All { get; } =
    [
        XProportion(),
        Reverse(),
        Histogram(),
        Sort(),
        XMajority(),
    ];

    public static RaspProgram Get(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new EdgePruningException($"no RASP program '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})");

    /// <summary>Tracr's make_frac_prevs(tokens == "x"): the running fraction of x, scored at every position.</summary>
    public static RaspProgram XProportion() => new()
    {
        Name = "xproportion",
        Description = "running fraction of tokens equal to x (numerical mean; the paper's Tracr xproportion)",
        Source = "is_x = numerical Map(tokens == \"x\"); frac_prevs = numerical Aggregate(Select(indices, indices, LEQ), is_x)",
        Build = FracPrevsOfX,
        Vocabulary = ["a", "b", "c", "x"],
        MaxLength = 5,
        TaskLength = 4,
        Recipe = PruningOptions.TracrXProportion,
        Recovers = true,
    };

    /// <summary>Tracr's make_reverse(tokens), compiled as in the paper.</summary>
    public static RaspProgram Reverse() => new()
    {
        Name = "reverse",
        Description = "the input reversed (categorical; the paper's Tracr reverse)",
        Source = "length = SelectorWidth(Select(tokens, tokens, TRUE)); opp_idx = length - indices; opp_idx-1 = opp_idx - 1; " +
            "reverse = Aggregate(Select(indices, opp_idx-1, EQ), tokens)",
        Build = () =>
        {
            var length = Rasp.SelectorWidth(Rasp.Select(Rasp.Tokens, Rasp.Tokens, Comparison.True)).Named("length");
            var opp = Rasp.SequenceMap(length, Rasp.Indices, (n, i) => (int)n - (int)i).Named("opp_idx");
            var oppMinusOne = Rasp.Map(opp, x => (int)x - 1).Named("opp_idx-1");
            return Rasp.Aggregate(Rasp.Select(Rasp.Indices, oppMinusOne, Comparison.Eq), Rasp.Tokens).Named("reverse");
        },
        Vocabulary = [1, 2, 3],
        MaxLength = 5,
        TaskLength = 3,
        Recipe = LongReverse,
        Recovers = true,
    };

    /// <summary>Tracr's make_hist: how often each position's token occurs in the input.</summary>
    public static RaspProgram Histogram() => new()
    {
        Name = "histogram",
        Description = "how many times each token occurs in the input (selector width)",
        Source = "histogram = SelectorWidth(Select(tokens, tokens, EQ))",
        Build = () => Rasp.SelectorWidth(Rasp.Select(Rasp.Tokens, Rasp.Tokens, Comparison.Eq)).Named("histogram"),
        Vocabulary = ["a", "b", "c"],
        MaxLength = 5,
        TaskLength = 4,
        Recipe = SlowCategorical,
        Recovers = true,
    };

    /// <summary>Tracr's make_sort_unique(tokens, tokens): ascending order of distinct tokens.</summary>
    public static RaspProgram Sort() => new()
    {
        Name = "sort",
        Description = "the input sorted ascending (unique keys: inputs hold distinct tokens)",
        Source = "target_pos = SelectorWidth(Select(tokens, tokens, LT)); sort = Aggregate(Select(target_pos, indices, EQ), tokens)",
        Build = () =>
        {
            var target = Rasp.SelectorWidth(Rasp.Select(Rasp.Tokens, Rasp.Tokens, Comparison.Lt)).Named("target_pos");
            return Rasp.Aggregate(Rasp.Select(target, Rasp.Indices, Comparison.Eq), Rasp.Tokens).Named("sort");
        },
        Vocabulary = [1, 2, 3, 4],
        MaxLength = 4,
        TaskLength = 4,
        IsValidInput = seq => seq.Distinct().Count() == seq.Count,
        Recipe = SlowCategorical,
        Recovers = true,
    };

    /// <summary>
    /// Categorical → numerical → categorical: the running fraction of x (a numerical mean) thresholded by a
    /// discretising MLP into "x so far is a strict majority".
    /// </summary>
    public static RaspProgram XMajority() => new()
    {
        Name = "xmajority",
        Description = "whether x is a strict majority of the tokens so far (numerical mean, then a categorical threshold)",
        Source = "is_x = numerical Map(tokens == \"x\"); frac = numerical Aggregate(Select(indices, indices, LEQ), is_x); " +
            "xmajority = Map(frac > 0.5)",
        Build = () => Rasp.Map(FracPrevsOfX(), f => RaspValues.ToDouble(f) > 0.5 ? 1 : 0).Named("xmajority"),
        Vocabulary = ["a", "b", "x"],
        MaxLength = 5,
        TaskLength = 4,
        Recipe = SlowCategorical,
        Recovers = true,
    };

    private static SOp FracPrevsOfX()
    {
        var isX = Rasp.NumericalMap(Rasp.Tokens, t => Equals(t, "x") ? 1 : 0).Named("is_x");
        return Rasp.NumericalMean(Rasp.Select(Rasp.Indices, Rasp.Indices, Comparison.Leq), isX).Named("frac_prevs");
    }

    /// <summary>
    /// The small categorical programs: the Tracr reverse recipe's learning rate with a ten times slower
    /// multiplier, so that sparsity rises while the KL can still hold each edge of the circuit. With these
    /// compiled programs the KL is flat (exactly 0) until an edge of the circuit is cut and flat again after
    /// (the output saturates), so a fast multiplier pushes the masks over that cliff.
    /// </summary>
    private static PruningOptions SlowCategorical() => new()
    {
        TargetEdgeSparsity = 1.02, Steps = 6000, SparsityWarmupSteps = 5600, LrWarmupSteps = 1500, Batch = 16,
        EdgeLr = 0.03, EdgeLambdaLr = 0.0001, NodeLr = 0.03, NodeLambdaLr = 0.0001, Ablation = Ablation.Zero, NodeMasks = false,
    };

    /// <summary>The paper's Tracr reverse recipe stretched to 12,000 steps: the compiled reverse needs the
    /// longer ramp to keep its length (selector width) path; at 6,000 steps it loses it.</summary>
    private static PruningOptions LongReverse() => PruningOptions.TracrReverse() with
    {
        Steps = 12000, SparsityWarmupSteps = 11800, LrWarmupSteps = 3000,
    };
}
