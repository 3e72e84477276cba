namespace EdgePruning.Pruning.Tasks;

/// <summary>How many examples each split of a generated task holds.</summary>
public sealed record TaskSplitSizes(int Train, int Validation, int Test)
{
    internal void Validate(string task)
    {
        if (Train < 0 || Validation < 0 || Test < 0)
            throw new TaskDataException($"task {task}: split sizes must not be negative (train {Train}, validation {Validation}, test {Test})");
    }
}
