namespace EdgePruning.Models.Generation;

/// <summary>Picks the next token from logits: argmax at temperature 0, else a draw from softmax(logits / T).</summary>
public sealed class Sampler
{
    private readonly float _temperature;
    private readonly Random _random;
    private float[] _probs = [];

    public Sampler(float temperature, int seed)
    {
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw new Runtime.EdgePruningException($"temperature must be a finite number ≥ 0, got {temperature}");
        _temperature = temperature;
        _random = new Random(seed);
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_temperature == 0f) return ArgMax(logits);
        if (_probs.Length < logits.Length) _probs = new float[logits.Length];
        var p = _probs.AsSpan(0, logits.Length);
        float max = float.NegativeInfinity;
        foreach (var v in logits) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < p.Length; i++) { p[i] = MathF.Exp((logits[i] - max) / _temperature); sum += p[i]; }
        double u = _random.NextDouble() * sum, acc = 0;
        for (int i = 0; i < p.Length; i++)
        {
            acc += p[i];
            if (u < acc) return i;
        }
        return p.Length - 1;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
