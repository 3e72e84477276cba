using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Reference;

/// <summary>
/// The scalar oracle: plain loops, double accumulation, no SIMD, no threads. Tests compare every fast
/// kernel against it; it is never used on a hot path.
/// </summary>
public sealed class ReferenceKernels : IKernels
{
    public static readonly ReferenceKernels Instance = new();

    public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        var (m, k) = transA ? (a.Shape.Cols, a.Shape.Rows) : (a.Shape.Rows, a.Shape.Cols);
        var (kb, n) = transB ? (b.Shape.Cols, b.Shape.Rows) : (b.Shape.Rows, b.Shape.Cols);
        KernelChecks.Require(k == kb && c.Shape.Rows == m && c.Shape.Cols == n,
            $"gemm: op(A) {m}x{k}, op(B) {kb}x{n}, C {c.Shape}");
        var A = a.Span; var B = b.Span; var C = c.Span;
        int lda = a.Shape.Cols, ldb = b.Shape.Cols;
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int p = 0; p < k; p++)
            {
                float av = transA ? A[p * lda + i] : A[i * lda + p];
                float bv = transB ? B[j * ldb + p] : B[p * ldb + j];
                s += (double)av * bv;
            }
            float prev = beta == 0f ? 0f : beta * C[i * n + j];
            C[i * n + j] = (float)(alpha * s) + prev;
        }
    }

    public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        Gemm(x.Reshape(x.Shape.Rows, x.Shape.Cols), false, w, true, y.Reshape(y.Shape.Rows, y.Shape.Cols));
        if (bias is null) return;
        var Y = y.Span; var bv = bias.Span; int n = y.Shape.Cols;
        for (int i = 0; i < Y.Length; i++) Y[i] += bv[i % n];
    }

    public void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        var g = BatchedProductGeometry.OfLinear(x, w, bias, y);
        for (int i = 0; i < g.Batch; i++)
            Linear(x.Row(i), w.Row(i), bias?.Row(i), y.Row(i));
    }

    public void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        var g = BatchedProductGeometry.OfGemm(a, transA, b, transB, c);
        for (int i = 0; i < g.Batch; i++)
            Gemm(a.Row(i), transA, b.Row(i), transB, c.Row(i), alpha, beta);
    }

    public void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && y.Count == x.Count, $"layernorm: x {x.Shape}, gamma {gamma.Shape}, y {y.Shape}");
        var X = x.Span; var Y = y.Span; var g = gamma.Span; var bt = beta is null ? default : beta.Span;
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, var = 0;
            for (int i = 0; i < d; i++) mean += X[r * d + i];
            mean /= d;
            for (int i = 0; i < d; i++) { double t = X[r * d + i] - mean; var += t * t; }
            var /= d;
            double inv = 1.0 / Math.Sqrt(var + eps);
            for (int i = 0; i < d; i++)
                Y[r * d + i] = (float)((X[r * d + i] - mean) * inv * g[i] + (beta is null ? 0 : bt[i]));
        }
    }

    public void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && y.Count == x.Count, $"rmsnorm: x {x.Shape}, gamma {gamma.Shape}, y {y.Shape}");
        var X = x.Span; var Y = y.Span; var g = gamma.Span;
        for (int r = 0; r < rows; r++)
        {
            double ss = 0;
            for (int i = 0; i < d; i++) ss += (double)X[r * d + i] * X[r * d + i];
            double inv = 1.0 / Math.Sqrt(ss / d + eps);
            for (int i = 0; i < d; i++) Y[r * d + i] = (float)(X[r * d + i] * inv * g[i]);
        }
    }

    public void Softmax(Tensor x)
    {
        int n = x.Shape.Cols, rows = x.Shape.Rows;
        var X = x.Span;
        for (int r = 0; r < rows; r++) SoftmaxRow(X.Slice(r * n, n));
    }

    private static void SoftmaxRow(Span<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        if (float.IsNegativeInfinity(max)) { row.Clear(); return; }
        double sum = 0;
        for (int i = 0; i < row.Length; i++) sum += Math.Exp(row[i] - max);
        for (int i = 0; i < row.Length; i++) row[i] = (float)(Math.Exp(row[i] - max) / sum);
    }

    public void Activate(Activation activation, Tensor x, Tensor y)
    {
        KernelChecks.Require(x.Count == y.Count, $"activation: x {x.Shape}, y {y.Shape}");
        var X = x.Span; var Y = y.Span;
        for (int i = 0; i < X.Length; i++) Y[i] = (float)ActivationMath.Apply(activation, X[i]);
    }

    public void SwiGlu(Tensor gate, Tensor up, Tensor y)
    {
        KernelChecks.Require(gate.Count == up.Count && up.Count == y.Count, $"swiglu: gate {gate.Shape}, up {up.Shape}, y {y.Shape}");
        var G = gate.Span; var U = up.Span; var Y = y.Span;
        for (int i = 0; i < Y.Length; i++) Y[i] = (float)(ActivationMath.Apply(Activation.Silu, G[i]) * U[i]);
    }

    public void Add(Tensor a, Tensor b, Tensor y)
    {
        KernelChecks.Require(a.Count == b.Count && b.Count == y.Count, $"add: a {a.Shape}, b {b.Shape}, y {y.Shape}");
        var A = a.Span; var B = b.Span; var Y = y.Span;
        for (int i = 0; i < Y.Length; i++) Y[i] = A[i] + B[i];
    }

    public void Copy(Tensor source, Tensor destination) => HostCopy.Copy(source, destination);

    public void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y)
    {
        int d = table.Shape.Cols, vocab = table.Shape.Rows;
        KernelChecks.Require(y.Count == (long)ids.Length * d, $"embedding: {ids.Length} ids, table {table.Shape}, y {y.Shape}");
        var T = table.Span; var Y = y.Span;
        for (int r = 0; r < ids.Length; r++)
        {
            int id = ids[r];
            if ((uint)id >= (uint)vocab) throw new ShapeException($"token id {id} is outside the vocabulary of {vocab}");
            T.Slice(id * d, d).CopyTo(Y.Slice(r * d, d));
        }
    }

    public void Rope(Tensor x, int startPos, float theta)
    {
        KernelChecks.Require(x.Shape.Rank == 4 && x.Shape[3] % 2 == 0, $"rope: x must be [B,T,H,even headDim], got {x.Shape}");
        int B = x.Shape[0], T = x.Shape[1], H = x.Shape[2], hd = x.Shape[3];
        var X = x.Span;
        for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
        for (int h = 0; h < H; h++)
        for (int i = 0; i < hd; i += 2)
        {
            double freq = Math.Pow(theta, -(double)i / hd);
            double angle = (startPos + t) * freq;
            double c = Math.Cos(angle), s = Math.Sin(angle);
            int o = ((b * T + t) * H + h) * hd + i;
            double x0 = X[o], x1 = X[o + 1];
            X[o] = (float)(x0 * c - x1 * s);
            X[o + 1] = (float)(x0 * s + x1 * c);
        }
    }

    public void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        var g = AttentionGeometry.Of(q, k, v, output, keyCount, keyMask);
        var Q = q.Span; var K = k.Span; var V = v.Span; var O = output.Span;
        var scores = new double[keyCount];
        for (int b = 0; b < g.Batch; b++)
        for (int t = 0; t < g.Queries; t++)
        for (int h = 0; h < g.Heads; h++)
        {
            int kvh = h / g.Group;
            int last = causal ? Math.Min(keyCount - 1, queryStart + t) : keyCount - 1;
            double max = double.NegativeInfinity;
            for (int s = 0; s <= last; s++)
            {
                if (!keyMask.IsEmpty && !keyMask[b * g.MaxKeys + s]) { scores[s] = double.NegativeInfinity; continue; }
                double dot = 0;
                for (int i = 0; i < g.KeyDim; i++)
                    dot += (double)Q[g.QueryIndex(b, t, h) + i] * K[g.KeyIndex(b, s, kvh) + i];
                scores[s] = dot * scale;
                max = Math.Max(max, scores[s]);
            }
            int o = g.OutputIndex(b, t, h);
            for (int i = 0; i < g.ValueDim; i++) O[o + i] = 0f;
            if (double.IsNegativeInfinity(max)) continue;
            double sum = 0;
            for (int s = 0; s <= last; s++) { scores[s] = Math.Exp(scores[s] - max); sum += scores[s]; }
            for (int i = 0; i < g.ValueDim; i++)
            {
                double acc = 0;
                for (int s = 0; s <= last; s++) acc += scores[s] * V[g.ValueIndex(b, s, kvh) + i];
                O[o + i] = (float)(acc / sum);
            }
        }
    }
}
