using System.Globalization;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// Overlap of two edge sets, A (found) and B (the reference, e.g. a Tracr ground truth): the shared edges, the
/// edges only in A (extra) and only in B (missing), precision |A∩B|/|A|, recall |A∩B|/|B|, IoU |A∩B|/|A∪B|
/// and F1. An empty A has precision 1 (it claims nothing false), an empty B recall 1, two empty sets IoU 1.
/// Edges are compared by name, so both sides must use the same naming (one embedding node or two).
/// </summary>
public sealed record CircuitComparison
{
    /// <summary>In both, in A's order.</summary>
    public required IReadOnlyList<string> Shared { get; init; }
    /// <summary>Only in A: found but not in the reference (false positives).</summary>
    public required IReadOnlyList<string> Extra { get; init; }
    /// <summary>Only in B: in the reference but not found (false negatives).</summary>
    public required IReadOnlyList<string> Missing { get; init; }

    public int FoundCount => Shared.Count + Extra.Count;
    public int TruthCount => Shared.Count + Missing.Count;
    public double Precision => FoundCount == 0 ? 1 : (double)Shared.Count / FoundCount;
    public double Recall => TruthCount == 0 ? 1 : (double)Shared.Count / TruthCount;
    public int UnionCount => Shared.Count + Extra.Count + Missing.Count;
    public double IoU => UnionCount == 0 ? 1 : (double)Shared.Count / UnionCount;
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
    public bool Identical => Extra.Count == 0 && Missing.Count == 0;

    public static CircuitComparison Compare(IEnumerable<string> found, IEnumerable<string> truth)
    {
        var a = Distinct(found);
        var b = Distinct(truth);
        var inA = a.ToHashSet(StringComparer.Ordinal);
        var inB = b.ToHashSet(StringComparer.Ordinal);
        return new CircuitComparison
        {
            Shared = a.Where(inB.Contains).ToArray(),
            Extra = a.Where(e => !inB.Contains(e)).ToArray(),
            Missing = b.Where(e => !inA.Contains(e)).ToArray(),
        };
    }

    /// <summary>Compares the kept edges of two circuits.</summary>
    public static CircuitComparison Compare(Circuit found, Circuit truth) => Compare(found.KeptEdgeNames, truth.KeptEdgeNames);

    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        return string.Create(inv, $"precision {Precision:0.###} ({Shared.Count}/{FoundCount}), recall {Recall:0.###} ({Shared.Count}/{TruthCount}), IoU {IoU:0.###}")
            + (Missing.Count > 0 ? $"; missing {string.Join(", ", Missing)}" : "")
            + (Extra.Count > 0 ? $"; extra {string.Join(", ", Extra)}" : "");
    }

    private static List<string> Distinct(IEnumerable<string> edges)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (var e in edges)
            if (seen.Add(e)) list.Add(e);
        return list;
    }
}
