using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Bench;

/// <summary>
/// CPU forward throughput of the engine: greedy decoding one token at a time through a <see cref="KvCache"/>
/// and prefill of a fixed prompt, on (a) a llama2.c checkpoint of stories15M shape with random weights (the
/// file <c>bench/c-reference/forward</c> measures too, so the two can be compared token for token) and
/// (b) GPT-2 small with random weights built in memory. Prints a markdown table.
/// <code>
/// forward [--kernels reference|cpu] [--model PATH] [--seed N] [--steps N] [--runs N] [--warmup N]
///         [--prefill N] [--models stories15m,gpt2] [--weights aligned|mapped]
/// </code>
/// <c>--weights mapped</c> views the llama2.c file through its mapping (every row 28 bytes past a 64-byte
/// boundary) instead of the loader's default, an aligned copy: the comparison of the two layouts.
/// </summary>
public static class ForwardThroughput
{
    private const string DefaultModelPath = "bench/.data/stories15M-random.bin";
    private const string CpuKernelsType = "EdgePruning.Kernels.Cpu.CpuKernels, EdgePruning.Kernels";

    private sealed record Options
    {
        public string? Kernels { get; init; }
        public string ModelPath { get; init; } = DefaultModelPath;
        public ulong Seed { get; init; } = 42;
        public int Steps { get; init; } = 128;
        public int Runs { get; init; } = 5;
        public int Warmup { get; init; } = 1;
        public int Prefill { get; init; } = 64;
        public bool MappedWeights { get; init; }
        public string[] Models { get; init; } = ["stories15m", "gpt2"];
    }

    private sealed record Measurement(string Model, double DecodeTokensPerSecond, double PrefillTokensPerSecond);

    public static int Run(string[] args)
    {
        Options options;
        IKernels kernels;
        string kernelsName;
        try
        {
            options = Parse(args);
            (kernels, kernelsName) = ResolveKernels(options.Kernels);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"forward: {e.Message}");
            return 2;
        }

        Console.WriteLine($"# CPU forward throughput: C# engine, {kernelsName} kernels ({kernels.GetType().FullName})");
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {RuntimeEnvironment()}");
        Console.WriteLine($"decode: median of {options.Runs} runs of {options.Steps} greedy tokens from BOS after {options.Warmup} warm-up run(s); " +
            $"prefill: median of {options.Runs} runs of a {options.Prefill}-token prompt");
        Console.WriteLine();

        var results = new List<Measurement>();
        foreach (var model in options.Models)
        {
            switch (model)
            {
                case "stories15m": results.Add(MeasureStories15M(options, kernels)); break;
                case "gpt2": results.Add(MeasureGpt2Small(options, kernels)); break;
                default:
                    Console.Error.WriteLine($"forward: unknown model '{model}' (expected stories15m or gpt2)");
                    return 2;
            }
        }

        Console.WriteLine();
        Console.WriteLine("| engine | model | decode tokens/s | prefill tokens/s |");
        Console.WriteLine("| --- | --- | ---: | ---: |");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| C# ({kernelsName} kernels) | {r.Model} | {r.DecodeTokensPerSecond:F2} | {r.PrefillTokensPerSecond:F2} |"));
        return 0;
    }

    private static Measurement MeasureStories15M(Options o, IKernels kernels)
    {
        if (!File.Exists(o.ModelPath))
        {
            Console.WriteLine($"writing {o.ModelPath} (stories15M shape, random weights, seed {o.Seed})");
            Llama2cRandomWriter.Write(o.ModelPath, KnownShapes.Stories15M(), o.Seed);
        }
        var (config, weights) = o.MappedWeights ? Llama2cLoader.Load(o.ModelPath, alignedCopy: false) : Llama2cLoader.Load(o.ModelPath);
        var model = new Transformer(config, weights, kernels, o.ModelPath);
        Console.WriteLine($"stories15M: {o.ModelPath} (dim {config.ModelDim}, hidden {config.MlpDim}, layers {config.Layers}, " +
            $"heads {config.Heads}, kv heads {config.EffectiveKvHeads}, vocab {config.VocabSize}, {config.ParameterCount:N0} parameters)");

        var cache = new KvCache(config, 1, config.MaxSeqLen);
        var first = model.Forward([config.BosTokenId], 1, cache, lastOnly: true).ToArray();
        Console.WriteLine("stories15M logits_pos0_first8: " + string.Join(' ',
            first.Take(8).Select(v => v.ToString("F5", CultureInfo.InvariantCulture))));

        var m = Measure($"{Path.GetFileNameWithoutExtension(o.ModelPath)} (llama2.c file)", model, cache, o, out var ids);
        Console.WriteLine("stories15M greedy_ids: " + string.Join(' ', ids.Take(16)));

        // The C reference prints the same two lines for its prompt, fed one token at a time.
        var prompt = Enumerable.Range(0, o.Prefill).Select(i => PromptToken(i, config)).ToArray();
        cache.Clear();
        var last = model.Forward(prompt, 1, cache, lastOnly: true).ToArray();
        Console.WriteLine("stories15M prompt_last_logits_first8: " + string.Join(' ',
            last.Take(8).Select(v => v.ToString("F5", CultureInfo.InvariantCulture))));
        Console.WriteLine($"stories15M prompt_last_argmax: {Argmax(last)}");
        return m;
    }

    private static Measurement MeasureGpt2Small(Options o, IKernels kernels)
    {
        var config = KnownShapes.Gpt2Small();
        var watch = Stopwatch.StartNew();
        var weights = EdgePruning.Models.Loaders.RandomModelWriter.CreateWeights(config, unchecked((int)o.Seed));
        var model = new Transformer(config, weights, kernels, "gpt2-small (random)");
        Console.WriteLine($"gpt2-small: random N(0, 0.02) weights in memory, tied embeddings, {config.ParameterCount:N0} parameters " +
            $"(built in {watch.Elapsed.TotalSeconds:F1} s)");
        var cache = new KvCache(config, 1, Math.Max(o.Steps, o.Prefill));
        var m = Measure("GPT-2 small random (in memory)", model, cache, o, out var ids);
        Console.WriteLine("gpt2-small greedy_ids: " + string.Join(' ', ids.Take(16)));
        return m;
    }

    private static Measurement Measure(string name, Transformer model, KvCache cache, Options o, out int[] ids)
    {
        var c = model.Config;
        if (o.Steps > cache.MaxTokens || o.Prefill > cache.MaxTokens)
            throw new ArgumentException($"{name}: at most {cache.MaxTokens} positions (asked {o.Steps} decode, {o.Prefill} prefill)");

        ids = new int[o.Steps];
        for (int w = 0; w < o.Warmup; w++) Decode(model, cache, ids, out _);
        var times = new double[o.Runs];
        var cpu = new double[o.Runs];
        for (int r = 0; r < o.Runs; r++) times[r] = Decode(model, cache, ids, out cpu[r]);
        double decode = o.Steps / Median(times);
        // Process CPU time: on one thread, a rate that a shared machine's descheduling does not dilute.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: decode_tokens_per_cpu_s {o.Steps / Median(cpu):F2}"));

        var prompt = new int[o.Prefill];
        for (int i = 0; i < prompt.Length; i++) prompt[i] = PromptToken(i, c);
        for (int w = 0; w < o.Warmup; w++) Prefill(model, cache, prompt);
        for (int r = 0; r < o.Runs; r++) times[r] = Prefill(model, cache, prompt);
        double prefill = o.Prefill / Median(times);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: decode {decode:F2} tokens/s, prefill {prefill:F2} tokens/s"));
        return new Measurement(name, decode, prefill);
    }

    /// <summary>Greedy decoding from BOS, one token per forward; returns seconds.</summary>
    private static double Decode(Transformer model, KvCache cache, int[] ids, out double cpuSeconds)
    {
        cache.Clear();
        var cpuStart = Environment.CpuUsage.TotalTime;
        var watch = Stopwatch.StartNew();
        int token = model.Config.BosTokenId;
        Span<int> input = stackalloc int[1];
        var logits = Tensor.Empty(model.DType, model.Config.EffectiveOutputSize);
        for (int i = 0; i < ids.Length; i++)
        {
            input[0] = token;
            token = Argmax(model.Forward(input, 1, cache, lastOnly: true, logits: logits).Span);
            ids[i] = token;
        }
        cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds;
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The whole prompt in one forward, logits for the last position only; returns seconds.</summary>
    private static double Prefill(Transformer model, KvCache cache, int[] prompt)
    {
        cache.Clear();
        var watch = Stopwatch.StartNew();
        model.Forward(prompt, 1, cache, lastOnly: true);
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The prompt the C reference uses too: BOS, then (7919·i + 13) mod vocab.</summary>
    private static int PromptToken(int i, TransformerConfig c) =>
        i == 0 ? c.BosTokenId : (int)((7919L * i + 13) % c.VocabSize);

    private static int Argmax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static double Median(double[] values)
    {
        var v = (double[])values.Clone();
        Array.Sort(v);
        int n = v.Length;
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }

    /// <summary>
    /// "reference" is the scalar oracle; "cpu" is the SIMD backend, looked up by name so that this bench
    /// builds whether or not that assembly has it. No name: cpu when present, else reference.
    /// </summary>
    private static (IKernels Kernels, string Name) ResolveKernels(string? name)
    {
        switch (name)
        {
            case "reference":
                return (ReferenceKernels.Instance, "reference");
            case "cpu":
                return (FindCpuKernels() ?? throw new ArgumentException(
                    $"--kernels cpu: type {CpuKernelsType} with a static Instance was not found in this build"), "cpu");
            case null:
                return FindCpuKernels() is { } cpu ? (cpu, "cpu") : (ReferenceKernels.Instance, "reference");
            default:
                throw new ArgumentException($"--kernels '{name}': expected reference or cpu");
        }
    }

    private static IKernels? FindCpuKernels()
    {
        var type = Type.GetType(CpuKernelsType, throwOnError: false);
        if (type is null) return null;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Static;
        object? instance = type.GetField("Instance", flags)?.GetValue(null) ?? type.GetProperty("Instance", flags)?.GetValue(null);
        return instance as IKernels;
    }

    private static string RuntimeEnvironment() =>
        $"{System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, " +
        $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, " +
        $"{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}";

    private static Options Parse(string[] args)
    {
        var o = new Options();
        int i = args.Length > 0 && args[0] == "forward" ? 1 : 0;
        string Value(string flag) => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
        int Positive(string flag)
        {
            string v = Value(flag);
            return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
                ? n : throw new ArgumentException($"{flag} '{v}': expected a positive integer");
        }
        for (; i < args.Length; i++)
        {
            string flag = args[i];
            o = flag switch
            {
                "--kernels" => o with { Kernels = Value(flag) },
                "--model" => o with { ModelPath = Value(flag) },
                "--seed" => o with { Seed = ulong.Parse(Value(flag), CultureInfo.InvariantCulture) },
                "--steps" => o with { Steps = Positive(flag) },
                "--runs" => o with { Runs = Positive(flag) },
                "--warmup" => o with { Warmup = int.Parse(Value(flag), CultureInfo.InvariantCulture) },
                "--prefill" => o with { Prefill = Positive(flag) },
                "--weights" => o with { MappedWeights = Value(flag) switch
                {
                    "mapped" => true,
                    "aligned" => false,
                    var w => throw new ArgumentException($"--weights: '{w}' is neither aligned nor mapped"),
                } },
                "--models" => o with { Models = Value(flag).ToLowerInvariant().Split(',', StringSplitOptions.RemoveEmptyEntries) },
                _ => throw new ArgumentException($"unknown option '{flag}'"),
            };
        }
        return o;
    }
}
