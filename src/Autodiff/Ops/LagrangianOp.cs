namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// The sparsity constraint L = λ1·(s − t) + λ2·(s − t)² for sparsity s and target t. The multipliers are
/// maximized by the trainer (gradient ascent); this op only supplies the gradients.
/// </summary>
public static class LagrangianOp
{
    public static double Forward(double sparsity, double target, double lambda1, double lambda2)
    {
        double gap = sparsity - target;
        return lambda1 * gap + lambda2 * gap * gap;
    }

    /// <summary>ds += dL·(λ1 + 2λ2(s−t)); dλ1 += dL·(s−t); dλ2 += dL·(s−t)².</summary>
    public static void Backward(double dLoss, double sparsity, double target, double lambda1, double lambda2,
        ref double dSparsity, ref double dLambda1, ref double dLambda2)
    {
        double gap = sparsity - target;
        dSparsity += dLoss * (lambda1 + 2 * lambda2 * gap);
        dLambda1 += dLoss * gap;
        dLambda2 += dLoss * gap * gap;
    }
}
