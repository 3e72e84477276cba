using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// Everything an Edge Pruning run trains, with its optimizer state and step: the edge and node log α,
/// the Lagrange multipliers (edge λ1, λ2; node λ1, λ2). Saved and restored whole by checkpoints.
/// </summary>
public sealed class MaskState
{
    private const uint Magic = 0x4B435045; // "EPCK"
    private const int Version = 2;

    public MaskState(long edges, int writers, double weightDecay, int constantSize = 0)
    {
        Constants = new float[constantSize];
        ConstantOptimizer = new AdamW(constantSize, 0);
        EdgeLogAlpha = new float[checked((int)edges)];
        NodeLogAlpha = new float[writers];
        EdgeLambda = new float[2];
        NodeLambda = new float[2];
        EdgeOptimizer = new AdamW(EdgeLogAlpha.Length, weightDecay);
        NodeOptimizer = new AdamW(writers, weightDecay);
        EdgeLambdaOptimizer = new AdamW(2, weightDecay, maximize: true);
        NodeLambdaOptimizer = new AdamW(2, weightDecay, maximize: true);
    }

    public float[] EdgeLogAlpha { get; }
    public float[] NodeLogAlpha { get; }
    public float[] EdgeLambda { get; }
    public float[] NodeLambda { get; }
    public AdamW EdgeOptimizer { get; }
    public AdamW NodeOptimizer { get; }
    public AdamW EdgeLambdaOptimizer { get; }
    public AdamW NodeLambdaOptimizer { get; }
    /// <summary>The learned per-writer baselines of optimal-constant ablation, [writers × d] (empty otherwise).</summary>
    public float[] Constants { get; }
    public AdamW ConstantOptimizer { get; }
    /// <summary>Steps completed.</summary>
    public int Step { get; set; }

    /// <summary>log α ~ N(mean, std), as the reference initializes every mask.</summary>
    public void Initialize(double mean, double std, int seed)
    {
        var rng = new Random(seed);
        foreach (var a in new[] { EdgeLogAlpha, NodeLogAlpha })
            for (int i = 0; i < a.Length; i++)
            {
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                a[i] = (float)(mean + std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
    }

    /// <summary>Writes to a temporary file and renames it, so an interrupted save never destroys the last good one.</summary>
    public void Save(string path)
    {
        string tmp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp)))
        {
            w.Write(Magic); w.Write(Version); w.Write(Step);
            w.Write(EdgeLogAlpha.Length); w.Write(NodeLogAlpha.Length);
            foreach (var a in Arrays()) WriteArray(w, a);
            foreach (var o in Optimizers()) w.Write(o.StepCount);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public void Load(string path)
    {
        if (!File.Exists(path)) throw new EdgePruningException($"{path}: checkpoint not found");
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            if (r.ReadUInt32() != Magic) throw new EdgePruningException($"{path}: not an edgeprune checkpoint");
            int version = r.ReadInt32();
            if (version != Version) throw new EdgePruningException($"{path}: checkpoint version {version}, this build reads {Version}");
            int step = r.ReadInt32(), edges = r.ReadInt32(), writers = r.ReadInt32();
            if (edges != EdgeLogAlpha.Length || writers != NodeLogAlpha.Length)
                throw new EdgePruningException($"{path}: checkpoint of a graph with {edges} edges and {writers} writers; this model has {EdgeLogAlpha.Length} and {NodeLogAlpha.Length}");
            foreach (var a in Arrays()) ReadArray(r, a, path);
            foreach (var o in Optimizers()) o.StepCount = r.ReadInt32();
            Step = step;
        }
        catch (EndOfStreamException)
        {
            throw new EdgePruningException($"{path}: checkpoint is truncated");
        }
    }

    private IEnumerable<float[]> Arrays()
    {
        yield return EdgeLogAlpha; yield return NodeLogAlpha; yield return EdgeLambda; yield return NodeLambda; yield return Constants;
        foreach (var o in Optimizers()) { yield return o.First; yield return o.Second; }
    }

    private IEnumerable<AdamW> Optimizers()
    {
        yield return EdgeOptimizer; yield return NodeOptimizer; yield return EdgeLambdaOptimizer; yield return NodeLambdaOptimizer;
        yield return ConstantOptimizer;
    }

    private static void WriteArray(BinaryWriter w, float[] a)
    {
        w.Write(a.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
    }

    private static void ReadArray(BinaryReader r, float[] a, string path)
    {
        int n = r.ReadInt32();
        if (n != a.Length) throw new EdgePruningException($"{path}: checkpoint array of {n} entries where {a.Length} are expected");
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan());
        if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException();
    }
}
