using EdgePruning.Pruning.Training;

namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// A named RASP program with what it takes to compile and prune it: the vocabulary, the longest input
/// the model accepts, the input length of its pruning task, which inputs are valid (sort needs distinct
/// tokens), and a pruning recipe that recovers its ground truth.
/// </summary>
public sealed record RaspProgram
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    /// <summary>The program as RASP source, for listings.</summary>
    public required string Source { get; init; }
    /// <summary>Builds the program's s-op graph (fresh each call).</summary>
    public required Func<SOp> Build { get; init; }
    public required IReadOnlyList<object> Vocabulary { get; init; }
    public required int MaxLength { get; init; }
    public required int TaskLength { get; init; }
    public Func<IReadOnlyList<object>, bool> IsValidInput { get; init; } = _ => true;
    public required Func<PruningOptions> Recipe { get; init; }
    /// <summary>Whether <see cref="Recipe"/> is known to recover the ground truth exactly (a regression test holds it).</summary>
    public bool Recovers { get; init; }
    public CompiledProgram Compile() => RaspCompiler.Compile(Name, Build(), Vocabulary, MaxLength);

    /// <summary>Every valid input of exactly <paramref name="length"/> tokens, in lexicographic order.</summary>
    public IEnumerable<IReadOnlyList<object>> Inputs(int length)
    {
        int v = Vocabulary.Count;
        long count = (long)Math.Pow(v, length);
        for (long k = 0; k < count; k++)
        {
            var seq = new object[length];
            long rest = k;
            for (int p = length - 1; p >= 0; p--, rest /= v) seq[p] = Vocabulary[(int)(rest % v)];
            if (IsValidInput(seq)) yield return seq;
        }
    }

    /// <summary>Every valid input of 1..<paramref name="maxLength"/> tokens.</summary>
    public IEnumerable<IReadOnlyList<object>> InputsUpTo(int maxLength) =>
        Enumerable.Range(1, maxLength).SelectMany(Inputs);

    /// <summary>The ground-truth circuit under this program's task.</summary>
    public IReadOnlyList<string> GroundTruth(CompiledProgram compiled) => global::EdgePruning.Pruning.Rasp.GroundTruth.Derive(compiled, Inputs(TaskLength));
}
