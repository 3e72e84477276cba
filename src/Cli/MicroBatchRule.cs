using EdgePruning.Runtime;

namespace EdgePruning.Cli;

/// <summary>A micro-batch is a part of one step's batch, so it cannot hold more sequences than the batch.</summary>
public static class MicroBatchRule
{
    public static void Check(int? microBatch, int? batch)
    {
        if (microBatch is { } m && batch is { } b && m > b)
            throw new EdgePruningException($"--micro-batch {m} is larger than --batch {b}: a micro-batch is a part of one step's batch");
    }
}
