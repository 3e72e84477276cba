using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// The host arrays of one step's mask math, made once per trainer and reused by every step: the uniform noise
/// and the sampled masks, the gradients the step accumulates on the host (∂loss/∂z, then ∂loss/∂log α) and the
/// multipliers' gradients. At CodeLlama-13B's 3.9 M edges that is about 80 MB that a step no longer allocates.
/// </summary>
internal sealed class MaskStepBuffers
{
    public MaskStepBuffers(int edges, int writers, int constants)
    {
        EdgeNoise = new float[edges];
        EdgeSample = Tensor.Zeros(edges);
        EdgeSampleGrad = Tensor.Zeros(edges);
        EdgeLogAlphaGrad = new float[edges];
        NodeNoise = new float[writers];
        NodeSample = Tensor.Zeros(writers);
        NodeSampleGrad = Tensor.Zeros(writers);
        NodeLogAlphaGrad = new float[writers];
        ConstantGrad = new float[constants];
    }

    /// <summary>u of every edge mask.</summary>
    public float[] EdgeNoise { get; }
    /// <summary>z of every edge mask.</summary>
    public Tensor EdgeSample { get; }
    /// <summary>∂loss/∂z of the edge masks, summed over micro-batches on the host.</summary>
    public Tensor EdgeSampleGrad { get; }
    public float[] EdgeLogAlphaGrad { get; }
    public float[] NodeNoise { get; }
    public Tensor NodeSample { get; }
    public Tensor NodeSampleGrad { get; }
    public float[] NodeLogAlphaGrad { get; }
    public float[] EdgeLambdaGrad { get; } = new float[2];
    public float[] NodeLambdaGrad { get; } = new float[2];
    /// <summary>∂loss/∂ of the learned per-writer baselines (optimal-constant ablation), [writers × d].</summary>
    public float[] ConstantGrad { get; }
}
