using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Gradients;

/// <summary>
/// The backward primitives of the model's ops, and the few vector updates a backward pass needs, so that
/// a whole masked forward and backward runs where the kernels run. Every backward <b>adds</b> into its
/// gradient outputs (dx += …), as the ops of <c>EdgePruning.Autodiff</c> do; statistics a backward needs
/// (norm mean and rstd, attention probabilities) are recomputed from the forward's inputs. Host backends
/// take f32; a GPU backend takes f32 or bf16, every tensor of one call in one dtype, accumulating in f32.
/// Implementations: <c>CpuGradientKernels</c> (the host, and the oracle of the parity checks) and
/// <c>CudaGradientKernels</c>.
/// </summary>
public interface IGradientKernels
{
    /// <summary>x = value, every element.</summary>
    void Fill(Tensor x, float value);

    /// <summary>
    /// x[i] = std·N(0,1), the normal value number i of <paramref name="seed"/> (<see cref="RandomNormal"/>): the same
    /// values on every backend. Random weights for benchmarks are made this way where they live.
    /// </summary>
    void FillNormal(Tensor x, float std, ulong seed);

    /// <summary>y = alpha·x, elementwise (y may be x).</summary>
    void Scale(Tensor x, float alpha, Tensor y);

    /// <summary>y += alpha·x, elementwise.</summary>
    void Axpy(float alpha, Tensor x, Tensor y);

    /// <summary>
    /// Row r of y = alpha·f[r]·(row r of x), or += with <paramref name="accumulate"/>: x and y are seen as as many
    /// equal rows as <paramref name="factor"/> (f32, one factor per row: node masks) has elements, and the factors
    /// are read where the kernels run, so the launch is the same whatever they hold. alpha·f[r] is rounded to f32
    /// once, then multiplies each element of its row (y may be x).
    /// </summary>
    void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate);

    /// <summary>dx += ∂y/∂x·dy for y = LayerNorm(x; gamma, beta, eps) per row (beta does not enter the gradient).</summary>
    void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps);

    /// <summary>dx += ∂y/∂x·dy for y = RmsNorm(x; gamma, eps) per row.</summary>
    void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps);

    /// <summary>dx += dy·act′(x), elementwise.</summary>
    void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx);

    /// <summary>For y = silu(gate)·up: dGate += dy·up·silu′(gate), dUp += dy·silu(gate). Either gradient may be null.</summary>
    void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp);

    /// <summary>
    /// The gradient through <see cref="IKernels.Rope"/>, in place: grad [B,T,H,hd] is rotated by the opposite
    /// angle (a rotation's transpose is its inverse), turning ∂L/∂rotated into ∂L/∂x.
    /// </summary>
    void RopeBackward(Tensor grad, int startPos, float theta);

    /// <summary>
    /// The gradient of <see cref="IKernels.Attention"/> over whole sequences (keyCount = S, queryStart = 0):
    /// q [B,T,H,dk], k [B,S,KV,dk], v [B,S,KV,dv], dOut [B,T,H,dv]; dq, dk, dv (each optional) are added to.
    /// The keys and values of a KV head collect the gradients of every query head of its group. A query that
    /// sees no key passes no gradient.
    /// </summary>
    void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default);
}
