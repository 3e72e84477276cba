namespace EdgePruning.Pruning.Training;

/// <summary>What one training step measured.</summary>
public readonly record struct StepReport(
    int Step, double Kl, double EdgeSparsity, double Target, double Lambda1, double Lambda2, double NodeSparsity,
    double Loss, double Seconds, long Tokens);
