namespace EdgePruning.Kernels.Parity;

/// <summary>What a kernel does to its inputs, which decides how far it may stray from the oracle.</summary>
public enum ParityArithmetic
{
    /// <summary>Moves or converts values only (copy, embedding, upload): the result must be exact.</summary>
    Exact,
    /// <summary>f32 arithmetic on ordinary cores: elementwise maps, norms, softmax, rotations.</summary>
    Float,
    /// <summary>Matrix products (GEMM, linear, attention), which a GPU may run on tensor cores.</summary>
    MatrixProduct,
}
