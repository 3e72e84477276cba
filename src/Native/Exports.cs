using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Native;

/// <summary>
/// The C ABI of libedgeprune (include/edgeprune.h). Every entry point catches everything: a failure becomes a
/// status code and a message for <c>ep_last_error</c>, never an exception across the boundary. Strings going
/// out are UTF-8, owned by the caller, freed with <c>ep_string_free</c>.
/// </summary>
public static unsafe class Exports
{
    /// <summary>Bumped whenever a signature or meaning in edgeprune.h changes incompatibly.</summary>
    public const int AbiVersion = 1;

    public const int Ok = 0;
    public const int ErrInvalidArgument = 1;
    public const int ErrNotFound = 2;
    public const int ErrInvalidInput = 3;
    public const int ErrIo = 4;
    public const int ErrCancelled = 5;
    public const int ErrUnsupported = 6;
    public const int ErrOutOfMemory = 7;
    public const int ErrBadHandle = 8;
    public const int ErrInternal = 9;

    [ThreadStatic] private static nint _lastError;
    private static long _liveStrings;

    /// <summary>An open model: its file, its host weights, and the device its runs compute on (a GPU backend is held until closed).</summary>
    private sealed record OpenModel(string Path, LoadedModel Loaded, RunDevice Device) : IDisposable
    {
        public void Dispose() => Device.Dispose();
    }

    [UnmanagedCallersOnly(EntryPoint = "ep_version")]
    public static int Version() => AbiVersion;

    [UnmanagedCallersOnly(EntryPoint = "ep_last_error")]
    public static byte* LastError() => (byte*)_lastError;

    [UnmanagedCallersOnly(EntryPoint = "ep_live_handles")]
    public static long LiveHandles() => HandleTable.Count + Interlocked.Read(ref _liveStrings);

    [UnmanagedCallersOnly(EntryPoint = "ep_model_open")]
    public static int ModelOpen(byte* path, byte* device, byte* dtype, nint* model) => Guard(() =>
    {
        Require(model != null, "model (the output pointer) is NULL");
        *model = 0;
        string p = Utf8(path) ?? throw new ArgumentException("path is NULL");
        string dev = Utf8(device) ?? "cpu";
        string? type = Utf8(dtype);
        if (dev is not ("cpu" or "cuda" or "auto") && !dev.StartsWith("cuda:", StringComparison.Ordinal))
            throw new NotSupportedException($"device '{dev}' is not offered (use \"cpu\", \"cuda\", \"cuda:N\" or \"auto\")");
        if (type is not (null or "float32" or "f32" or "bfloat16" or "bf16"))
            throw new NotSupportedException($"dtype '{type}' is not supported (use \"float32\" or \"bfloat16\")");
        var loaded = ModelLoader.Load(p);
        RunDevice opened;
        try
        {
            opened = RunDevice.Open(dev, type, parameters: loaded.Config.ParameterCount);
        }
        catch (EdgePruningException e) when (e is Runtime.Cuda.CudaUnavailableException || e.Message.Contains("--dtype", StringComparison.Ordinal))
        {
            throw new NotSupportedException(e.Message);
        }
        *model = HandleTable.Add(new OpenModel(p, loaded, opened));
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_model_close")]
    public static int ModelClose(nint model) => Guard(() =>
    {
        if (model == 0) return;
        var open = HandleTable.Get<OpenModel>(model, "model");
        if (!HandleTable.Remove<OpenModel>(model)) throw new BadHandleException($"model handle 0x{model:x} is not open");
        open.Dispose();
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_prune")]
    public static int Prune(nint model, byte* optionsJson, delegate* unmanaged<nint, byte*, int> progress, nint user, nint* circuit) => Guard(() =>
    {
        Require(circuit != null, "circuit (the output pointer) is NULL");
        *circuit = 0;
        var m = HandleTable.Get<OpenModel>(model, "model");
        var request = PruneRequest.Parse(Utf8(optionsJson));
        var job = m.Device.IsCuda || request.Threads is null
            ? PruningJob.Create(m.Path, request.Task, _ => m.Device, request.Apply, request.Tokenizer)
            : PruningJob.Create(m.Path, request.Task, new CpuKernels(request.Threads.Value), request.Apply, request.Tokenizer);
        string dir = request.Out ?? Directory.CreateTempSubdirectory("edgeprune-").FullName;
        try
        {
            var clock = PruningJob.StartClock();
            job.StartFromScratch();
            using var cancel = new CancellationTokenSource();
            bool finished = job.Train(dir, r =>
            {
                if (progress == null) return;
                var e = new JsonObject
                {
                    ["event"] = "step", ["step"] = r.Step + 1, ["steps"] = job.Options.Steps, ["kl"] = Finite(r.Kl),
                    ["edge_sparsity"] = Finite(r.EdgeSparsity), ["target"] = Finite(r.Target), ["loss"] = Finite(r.Loss),
                };
                byte[] line = Encoding.UTF8.GetBytes(e.ToJsonString() + "\0");
                fixed (byte* p = line)
                {
                    if (progress(user, p) != 0) cancel.Cancel();
                }
            }, cancel.Token);
            if (!finished) throw new OperationCanceledException($"cancelled by the progress callback at step {job.Pruner.StepsDone}");
            var (result, _) = job.Finish(clock.Elapsed.TotalSeconds, request.BinarizeSparsity);
            if (request.Out is not null) CircuitJson.Write(result, Path.Combine(dir, PruningJob.CircuitFile));
            *circuit = HandleTable.Add(result);
        }
        finally
        {
            if (request.Out is null) Directory.Delete(dir, recursive: true);
        }
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_eval")]
    public static int Eval(nint model, nint circuit, byte* optionsJson, byte** metricsJson) => Guard(() =>
    {
        Require(metricsJson != null, "metrics_json (the output pointer) is NULL");
        *metricsJson = null;
        var m = HandleTable.Get<OpenModel>(model, "model");
        var c = HandleTable.Get<Circuit>(circuit, "circuit");
        var options = JsonNode.Parse(Utf8(optionsJson) is { Length: > 0 } s ? s : "{}") as JsonObject
            ?? throw new EdgePruningException("eval options must be a JSON object");
        string taskName = options["task"]?.GetValue<string>() ?? (c.Task.StartsWith("tracr-", StringComparison.Ordinal) ? "tracr" : c.Task);
        string ablation = options["ablation"]?.GetValue<string>() ?? (c.Ablation.Length > 0 ? c.Ablation : "interchange");
        int batch = options["batch"]?.GetValue<int>() ?? 32;
        string split = options["split"]?.GetValue<string>() ?? "test";
        var job = PruningJob.Create(m.Path, taskName, _ => m.Device, d => d with
        {
            Ablation = AblationNames.Parse(ablation), NodeMasks = false, EmbeddingNodes = c.Model.EmbeddingNodes, Batch = batch,
        }, options["tokenizer"]?.GetValue<string>());
        if (!c.Model.Matches(job.Masked.Graph))
            throw new CircuitFormatException($"the circuit was found in a model of another shape ({c.Model.Layers} layers, {c.Model.Heads} heads)");
        var examples = split switch
        {
            "train" => job.Task.Train,
            "validation" => job.Task.Validation,
            "test" => job.Task.Test,
            _ => throw new EdgePruningException($"unknown split '{split}' (expected train, validation or test)"),
        };
        var metrics = CircuitEvaluator.Evaluate(job.Pruner, CircuitMasks.FromCircuit(job.Masked.Layout, c), examples, batch);
        var o = new JsonObject();
        foreach (var (k, v) in metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = Finite(v);
        *metricsJson = NewString(o.ToJsonString());
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_circuit_open")]
    public static int CircuitOpen(byte* path, nint* circuit) => Guard(() =>
    {
        Require(circuit != null, "circuit (the output pointer) is NULL");
        *circuit = 0;
        *circuit = HandleTable.Add(CircuitJson.Read(Utf8(path) ?? throw new ArgumentException("path is NULL")));
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_circuit_json")]
    public static int CircuitToJson(nint circuit, byte** json) => Guard(() =>
    {
        Require(json != null, "json (the output pointer) is NULL");
        *json = null;
        *json = NewString(CircuitJson.Serialize(HandleTable.Get<Circuit>(circuit, "circuit")));
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_export")]
    public static int Export(nint circuit, byte* format, byte* path) => Guard(() =>
    {
        var c = HandleTable.Get<Circuit>(circuit, "circuit");
        string target = Utf8(path) ?? throw new ArgumentException("path is NULL");
        switch (Utf8(format)?.ToLowerInvariant())
        {
            case "json" or "circuit": CircuitJson.Write(c, target); break;
            case "mib": MibCircuit.Write(c, c.Model.ToGraph(), target); break;
            case "dot": CircuitDot.Write(c, target, c.Task); break;
            case var f: throw new NotSupportedException($"export format '{f}' is not supported (json, mib or dot)");
        }
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_circuit_free")]
    public static int CircuitFree(nint circuit) => Guard(() =>
    {
        if (circuit != 0 && !HandleTable.Remove<Circuit>(circuit)) throw new BadHandleException($"circuit handle 0x{circuit:x} is not open");
    });

    [UnmanagedCallersOnly(EntryPoint = "ep_string_free")]
    public static void StringFree(byte* s)
    {
        if (s == null) return;
        NativeMemory.Free(s);
        Interlocked.Decrement(ref _liveStrings);
    }

    private static int Guard(Action body)
    {
        try
        {
            body();
            SetError(null);
            return Ok;
        }
        catch (Exception e)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } agg) e = agg.InnerException!;
            var (code, message) = e switch
            {
                BadHandleException => (ErrBadHandle, e.Message),
                ArgumentException => (ErrInvalidArgument, e.Message),
                FileNotFoundException f => (ErrNotFound, $"{f.FileName ?? e.Message}: file not found"),
                DirectoryNotFoundException => (ErrNotFound, e.Message),
                EdgePruningException when e.Message.Contains("not found", StringComparison.Ordinal) => (ErrNotFound, e.Message),
                EdgePruningException or System.Text.Json.JsonException or FormatException or InvalidCastException => (ErrInvalidInput, e.Message),
                IOException or UnauthorizedAccessException => (ErrIo, e.Message),
                OperationCanceledException => (ErrCancelled, e.Message),
                NotSupportedException => (ErrUnsupported, e.Message),
                OutOfMemoryException => (ErrOutOfMemory, "out of host memory"),
                _ => (ErrInternal, $"internal error: {e.GetType().Name}: {e.Message}"),
            };
            SetError(message.ReplaceLineEndings(" "));
            return code;
        }
    }

    private static void SetError(string? message)
    {
        if (_lastError != 0) NativeMemory.Free((void*)_lastError);
        _lastError = message is null ? 0 : (nint)Alloc(message);
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }

    private static byte* NewString(string s)
    {
        Interlocked.Increment(ref _liveStrings);
        return Alloc(s);
    }

    private static byte* Alloc(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    private static string? Utf8(byte* s) => s == null ? null : Marshal.PtrToStringUTF8((nint)s);

    private static JsonNode? Finite(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
