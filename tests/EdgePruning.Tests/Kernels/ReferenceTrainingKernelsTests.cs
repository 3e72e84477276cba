using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;
using Xunit;

namespace EdgePruning.Tests.Kernels;

/// <summary>The training kernels' host oracle agrees with the autodiff ops the CPU trainer uses.</summary>
public class ReferenceTrainingKernelsTests
{
    private readonly ReferenceTrainingKernels _k = new(CpuKernels.Instance);

    private static Tensor Random(Random rng, float scale, params int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return t;
    }

    [Fact]
    public void HardConcreteMatchesTheOp()
    {
        var rng = new Random(1);
        var logAlpha = Random(rng, 4, 1001);
        var u = Tensor.Empty(DType.F32, 1001);
        HardConcreteOp.DrawUniform(rng, u.Span);
        var z = Tensor.Zeros(1001);
        _k.HardConcrete(logAlpha, u, z);
        var expected = new float[1001];
        HardConcreteOp.Forward(logAlpha.Span, u.Span, expected);
        Assert.Equal(expected, z.ToArray());
        Assert.Contains(0f, expected);
        Assert.Contains(1f, expected);

        var dz = Random(rng, 1, 1001);
        var grad = Tensor.Zeros(1001);
        grad.Fill(0.5f);
        _k.HardConcreteBackward(logAlpha, u, dz, grad);
        var expectedGrad = Enumerable.Repeat(0.5f, 1001).ToArray();
        HardConcreteOp.Backward(logAlpha.Span, u.Span, dz.Span, expectedGrad);
        Assert.Equal(expectedGrad, grad.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MaskedEdgeSumMatchesTheOp(bool prefixes)
    {
        var rng = new Random(2);
        int R = 5, W = 7, N = 33;
        var z = Random(rng, 1, R, W);
        var d = Random(rng, 1, W, N);
        var c = Random(rng, 1, N);
        int[] visible = prefixes ? [0, 2, 7, 3, 5] : [];
        var x = Tensor.Zeros(R, N);
        _k.MaskedEdgeSum(z, visible, d, c, x);
        var expected = Tensor.Zeros(R, N);
        MaskedEdgeSumOp.Forward(CpuKernels.Instance, z, visible, d, c, expected);
        Assert.Equal(expected.ToArray(), x.ToArray());

        var dx = Random(rng, 1, R, N);
        var (dz, dd) = (Random(rng, 1, R, W), Random(rng, 1, W, N));
        var (dzExpected, ddExpected) = (dz.Clone(), dd.Clone());
        _k.MaskedEdgeSumBackward(z, visible, d, dx, dz, dd);
        MaskedEdgeSumOp.Backward(CpuKernels.Instance, z, visible, d, dx, dzExpected, ddExpected);
        Assert.Equal(dzExpected.ToArray(), dz.ToArray());
        Assert.Equal(ddExpected.ToArray(), dd.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KlMatchesTheOp(bool columnSubset)
    {
        var rng = new Random(3);
        int rowsTotal = 9, V = 50;
        var full = Random(rng, 3, rowsTotal, V);
        var circuit = Random(rng, 3, rowsTotal, V);
        int[] rows = [0, 4, 8, 2];
        int[] columns = columnSubset ? [3, 7, 11, 40, 49] : [];
        var rowKl = Tensor.Zeros(rows.Length);
        var grad = Tensor.Zeros(rowsTotal, V);
        _k.KlDivergence(full, circuit, rows, columns, rowKl, grad, 1f / rows.Length);

        var op = new KlDivergenceOp();
        double loss = op.Forward(full, circuit, rows, columns);
        var expectedGrad = Tensor.Zeros(rowsTotal, V);
        op.Backward(1.0, expectedGrad);
        Assert.Equal(loss, rowKl.ToArray().Average(), 6);
        Assert.True(loss > 0.01);
        var g = grad.ToArray();
        var e = expectedGrad.ToArray();
        for (int i = 0; i < g.Length; i++) Assert.Equal(e[i], g[i], 1e-6f);
    }

    [Fact]
    public void AdamWMatchesTheTrainersOptimizer()
    {
        var rng = new Random(4);
        var p = Random(rng, 1, 300);
        var g = Random(rng, 1, 300);
        var (m, v) = (Tensor.Zeros(300), Tensor.Zeros(300));
        var optimizer = new EdgePruning.Pruning.Training.AdamW(300, weightDecay: 0.01, maximize: true);
        var expected = p.ToArray();
        for (int step = 1; step <= 3; step++)
        {
            _k.AdamW(p, g, m, v, new AdamWStep(0.1, 0.01, step, Maximize: true));
            optimizer.Step(expected, g.Span, 0.1);
        }
        Assert.Equal(expected, p.ToArray());
        Assert.Equal(optimizer.First, m.ToArray());
    }
}
