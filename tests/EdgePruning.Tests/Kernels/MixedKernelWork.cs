using EdgePruning.Kernels;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// A small piece of work that calls every kernel set of a backend, in the order a step would: a linear layer
/// and its norm (Kernels), the norm's backward into zeroed gradients (Gradients), a masked edge sum and the KL
/// of two logit sets (Training), a masked read and its backward (MaskedRead). Inputs are seeded; gradient
/// outputs are zeroed by the work itself, so running it again on its own tensors gives the same outputs.
/// </summary>
internal sealed class MixedKernelWork
{
    private const float Eps = 1e-5f;
    private const int Dim = 8, Hidden = 12, Readers = 3, Writers = 5, Vocab = 10, KlRows = 6;
    private static readonly int[] Visible = [2, 5, 4];
    private static readonly int[] LossRows = [1, 4, 5];

    private MixedKernelWork(int tokens, float gradScale, int seed)
    {
        Tokens = tokens;
        GradScale = gradScale;
        var rng = new Random(seed);
        X = KernelTensors.Random(rng, 1f, tokens, Dim);
        W = KernelTensors.Random(rng, 0.4f, Hidden, Dim);
        Gamma = KernelTensors.Random(rng, 0.5f, 1f, Hidden);
        Beta = KernelTensors.Random(rng, 0.5f, Hidden);
        Dy = KernelTensors.Random(rng, 1f, tokens, Hidden);
        Z = KernelTensors.Random(rng, 0.5f, 0.5f, Readers, Writers);
        D = KernelTensors.Random(rng, 1f, Writers, tokens * Dim);
        C = KernelTensors.Random(rng, 1f, tokens * Dim);
        Full = KernelTensors.Random(rng, 2f, KlRows, Vocab);
        Circuit = KernelTensors.Random(rng, 2f, KlRows, Vocab);
        var read = MaskedReadInputs.Random(seed + 1, MaskedReadNormKind.LayerNorm, Readers, Writers, tokens, Dim);
        (ReadZ, Stack, Corrupted, Norm) = (read.Z, read.Stack, read.Corrupted, read.Norm);
        ReadGrad = KernelTensors.Random(rng, 1f, Readers, tokens, Dim);
        H = Tensor.Zeros(tokens, Hidden);
        Y = Tensor.Zeros(tokens, Hidden);
        Dh = Tensor.Zeros(tokens, Hidden);
        Summed = Tensor.Zeros(Readers, tokens * Dim);
        RowKl = Tensor.Zeros(LossRows.Length);
        DCircuit = Tensor.Zeros(KlRows, Vocab);
        Read = Tensor.Zeros(Readers, tokens, Dim);
        Mean = Tensor.Zeros(Readers, tokens);
        Rstd = Tensor.Zeros(Readers, tokens);
        DReadZ = Tensor.Zeros(Readers, Writers);
        DStack = Tensor.Zeros(Writers, tokens, Dim);
    }

    public int Tokens { get; }
    public float GradScale { get; }

    public Tensor X { get; }
    public Tensor W { get; }
    public Tensor Gamma { get; }
    public Tensor Beta { get; }
    public Tensor Dy { get; }
    public Tensor Z { get; }
    public Tensor D { get; }
    public Tensor C { get; }
    public Tensor Full { get; }
    public Tensor Circuit { get; }
    public Tensor ReadZ { get; }
    public Tensor Stack { get; }
    public Tensor Corrupted { get; }
    public MaskedReadNorm Norm { get; }
    public Tensor ReadGrad { get; }

    public Tensor H { get; }
    public Tensor Y { get; }
    public Tensor Dh { get; }
    public Tensor Summed { get; }
    public Tensor RowKl { get; }
    public Tensor DCircuit { get; }
    public Tensor Read { get; }
    public Tensor Mean { get; }
    public Tensor Rstd { get; }
    public Tensor DReadZ { get; }
    public Tensor DStack { get; }

    public static MixedKernelWork Random(int seed, int tokens = 4, float gradScale = 0.5f) => new(tokens, gradScale, seed);

    /// <summary>The tensors the work reads (weights included).</summary>
    public IReadOnlyList<Tensor> Inputs => [X, W, Gamma, Beta, Dy, Z, D, C, Full, Circuit, ReadZ, Stack, Corrupted, Norm.Gamma, Norm.Beta!, ReadGrad];

    /// <summary>The tensors the work writes, named.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Outputs =>
    [
        ("linear", H), ("layer norm", Y), ("layer norm backward", Dh), ("masked edge sum", Summed), ("row KL", RowKl),
        ("KL gradient", DCircuit), ("masked read", Read), ("masked read rstd", Rstd), ("masked read dz", DReadZ), ("masked read dD", DStack),
    ];

    /// <summary>Launches the work issues: 2 model kernels, 5 gradient kernels, 2 training kernels, 2 masked reads.</summary>
    public const int Launches = 11;

    public void Run(IKernelBackend backend)
    {
        var k = backend.Kernels;
        var g = backend.Gradients;
        var t = backend.Training;
        var m = backend.MaskedRead;
        k.Linear(X, W, null, H);
        k.LayerNorm(H, Gamma, Beta, Y, Eps);
        g.Fill(Dh, 0f);
        g.LayerNormBackward(H, Gamma, Dy, Dh, Eps);
        t.MaskedEdgeSum(Z, Visible, D, C, Summed);
        g.Fill(DCircuit, 0f);
        t.KlDivergence(Full, Circuit, LossRows, [], RowKl, DCircuit, GradScale);
        m.Forward(ReadZ, Stack, Corrupted, Norm, Read, Mean, Rstd);
        g.Fill(DReadZ, 0f);
        g.Fill(DStack, 0f);
        m.Backward(ReadZ, Stack, Corrupted, Norm, Mean, Rstd, ReadGrad, DReadZ, DStack, null);
    }

    /// <summary>Writes the input contents of <paramref name="other"/> into this work's input tensors, in place.</summary>
    public void LoadInputsOf(MixedKernelWork other)
    {
        var mine = Inputs;
        var theirs = other.Inputs;
        for (int i = 0; i < mine.Count; i++) theirs[i].Span.CopyTo(mine[i].Span);
    }
}
