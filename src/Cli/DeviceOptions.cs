using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;

namespace EdgePruning.Cli;

/// <summary>
/// <c>--device</c>, <c>--dtype</c> and <c>--threads</c> of the commands that run a model, and the one line that
/// says which device a run took. A command adds them with <see cref="AddTo"/> and opens the device once the
/// model is loaded (the automatic choice depends on its size).
/// </summary>
public sealed class DeviceOptions
{
    public Option<string?> Device { get; } = new("--device")
    {
        Description = $"cpu, cuda, cuda:N or auto (default: a GPU for models from {RunDevice.AutoCudaParameters / 1_000_000} M parameters when one is usable, else the CPU)",
    };

    public Option<string?> DType { get; } = new("--dtype")
    {
        Description = $"f32 or bf16: weights and activations (default f32; bf16 on a GPU for models from {RunDevice.AutoBf16Parameters / 1_000_000_000} B parameters; the CPU computes in f32)",
    };

    public Option<int?> Threads { get; } = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" }.AtLeast(1);

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(DType);
        command.Options.Add(Threads);
    }

    /// <summary>Opens the device the options name for <paramref name="model"/>.</summary>
    public RunDevice Open(ParseResult parse, LoadedModel model) => Open(parse, model.Config);

    /// <summary>Opens the device the options name for a model of <paramref name="config"/>.</summary>
    public RunDevice Open(ParseResult parse, Models.TransformerConfig config) =>
        RunDevice.Open(parse.GetValue(Device), parse.GetValue(DType), parse.GetValue(Threads), config.ParameterCount);

    /// <summary>Opens the device the options name for a model of <paramref name="parameters"/>.</summary>
    public RunDevice Open(ParseResult parse, long parameters) =>
        RunDevice.Open(parse.GetValue(Device), parse.GetValue(DType), parse.GetValue(Threads), parameters);

    /// <summary>The device line on stderr in text mode (JSON output carries <see cref="ToJson"/> in its own documents instead).</summary>
    public static void Announce(TextWriter err, bool json, RunDevice device)
    {
        if (!json) err.WriteLine($"device: {device.Name}, {device.Description}" + (device.Choice is { } why ? $" ({why})" : ""));
    }

    /// <summary>The device of a run for JSON documents: name, dtype, description and why auto chose it.</summary>
    public static JsonObject ToJson(RunDevice device) => new()
    {
        ["name"] = device.Name, ["dtype"] = Runtime.DTypeInfo.Name(device.DType), ["description"] = device.Description, ["choice"] = device.Choice,
    };
}
