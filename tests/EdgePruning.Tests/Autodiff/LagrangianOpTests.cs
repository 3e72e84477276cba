using EdgePruning.Autodiff.Ops;

namespace EdgePruning.Tests.Autodiff;

public class LagrangianOpTests
{
    /// <summary>All in double and quadratic: central differences are exact up to rounding.</summary>
    private const double Step = 1e-4, GradientTolerance = 1e-8;

    [Theory]
    [InlineData(0.83, 0.95, 0.37, -1.3)]
    [InlineData(0.99, 0.9, -2.1, 0.45)]
    public void Gradients_MatchFiniteDifferences(double s, double t, double l1, double l2)
    {
        const double dLoss = 0.7;
        double ds = 0.25, d1 = -0.5, d2 = 1.5;
        LagrangianOp.Backward(dLoss, s, t, l1, l2, ref ds, ref d1, ref d2);
        double Numeric(Func<double, double> f, double at) => dLoss * (f(at + Step) - f(at - Step)) / (2 * Step);

        Assert.Equal(0.25 + Numeric(x => LagrangianOp.Forward(x, t, l1, l2), s), ds, GradientTolerance);
        Assert.Equal(-0.5 + Numeric(x => LagrangianOp.Forward(s, t, x, l2), l1), d1, GradientTolerance);
        Assert.Equal(1.5 + Numeric(x => LagrangianOp.Forward(s, t, l1, x), l2), d2, GradientTolerance);
    }
}
