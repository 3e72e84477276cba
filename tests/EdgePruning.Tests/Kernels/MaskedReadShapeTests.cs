using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

public class MaskedReadShapeTests
{
    public static TheoryData<MaskedReadNormKind, DType, DType, DType> Variants()
    {
        var data = new TheoryData<MaskedReadNormKind, DType, DType, DType>();
        foreach (var kind in new[] { MaskedReadNormKind.LayerNorm, MaskedReadNormKind.RmsNorm })
        foreach (var stack in new[] { DType.F32, DType.BF16 })
        foreach (var io in new[] { DType.F32, DType.BF16 })
        foreach (var stackGrad in new[] { DType.F32, DType.BF16 })
            data.Add(kind, stack, io, stackGrad);
        return data;
    }

    /// <summary>The traffic formulas count each tensor of a call once (accumulated ones twice: read and written).</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void TrafficFormulas_CountEveryTensorOfACall(MaskedReadNormKind kind, DType stackType, DType ioType, DType stackGradType)
    {
        var input = MaskedReadInputs.Random(41, kind, 5, 7, 3, 11);
        var stack = input.Stack.To(stackType);
        var shape = MaskedReadShape.Of(input.Z, stack, input.Corrupted, input.Norm);
        Assert.Equal(new MaskedReadShape(5, 7, 3, 11), shape);
        var (mean, rstd) = input.PoisonedStatistics();
        var y = Tensor.Zeros(ioType, 5, 3, 11);
        long weights = input.Norm.Gamma.ByteLength;
        long statistics = rstd.ByteLength + (mean?.ByteLength ?? 0);
        long inputs = input.Z.ByteLength + stack.ByteLength + input.Corrupted.ByteLength + weights + statistics;

        long forward = inputs + (input.Norm.Beta?.ByteLength ?? 0) + y.ByteLength;
        var dStack = Tensor.Zeros(stackGradType, 7, 3, 11);
        long backward = inputs + y.ByteLength + 2 * (input.Z.ByteLength + dStack.ByteLength + input.Corrupted.ByteLength);
        Assert.Equal(forward, shape.ForwardBytes(input.Norm, stackType, ioType));
        Assert.Equal(backward, shape.BackwardBytes(input.Norm, stackType, ioType, stackGradType));
    }
}
