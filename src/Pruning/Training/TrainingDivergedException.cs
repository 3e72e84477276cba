namespace EdgePruning.Pruning.Training;

/// <summary>The loss became NaN or infinite; the run stopped and the last good checkpoint was kept.</summary>
public sealed class TrainingDivergedException : Runtime.EdgePruningException
{
    public TrainingDivergedException(string message) : base(message) { }
}
