namespace EdgePruning.Pruning.Benchmarking;

/// <summary>How a benchmark's steps used their captured graph: captures, steps launched as the graph, its operations, and why steps ran directly if they did.</summary>
public sealed record StepGraphUse(int Captures, int GraphLaunches, int Operations, string? Unavailable, string? LastDifference)
{
    public static StepGraphUse Of(Training.StepGraph graph) =>
        new(graph.Captures, graph.GraphLaunches, graph.Operations, graph.Unavailable, graph.LastDifference);
}
