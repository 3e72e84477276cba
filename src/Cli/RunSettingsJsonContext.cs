using System.Text.Json.Serialization;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Cli;

/// <summary>
/// Compile-time JSON metadata for the options a run was given (run.json's <c>given</c>), so that the
/// native-compiled command reads and writes them without reflection. Unset options are left out.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PruningOverrides))]
internal sealed partial class RunSettingsJsonContext : JsonSerializerContext;
