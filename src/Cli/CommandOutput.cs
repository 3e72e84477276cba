using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgePruning.Cli;

/// <summary>
/// Where a command's result goes. Without <c>--json</c>: text for people. With it: exactly one JSON document on
/// stdout (the result, or <c>{"error": {...}}</c>) and progress as JSON lines on stderr, so that a program can
/// drive the CLI without scraping text.
/// </summary>
public static class CommandOutput
{
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "print one JSON document on stdout (result or error) and progress as JSON lines on stderr",
        Recursive = true,
    };

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static bool IsJson(ParseResult parse) => parse.GetValue(JsonOption);

    /// <summary>Writes <paramref name="result"/> as the JSON document, or calls <paramref name="text"/> for people.</summary>
    public static int Emit(ParseResult parse, JsonObject result, Action<TextWriter> text, int exitCode = CliApp.ExitOk)
    {
        var o = parse.InvocationConfiguration.Output;
        if (IsJson(parse)) WriteDocument(o, result);
        else text(o);
        return exitCode;
    }

    public static void WriteDocument(TextWriter o, JsonNode document)
    {
        o.WriteLine(document.ToJsonString(Indented));
        o.Flush();
    }

    /// <summary>One progress event on one line: <c>{"event": name, ...}</c>.</summary>
    public static void WriteEvent(TextWriter err, string name, JsonObject fields)
    {
        var line = new JsonObject { ["event"] = name };
        foreach (var (key, value) in fields.ToArray())
        {
            fields.Remove(key);
            line[key] = value;
        }
        err.WriteLine(line.ToJsonString(Compact));
        err.Flush();
    }

    /// <summary>The error document; <paramref name="code"/> is a stable word, the exit code says the class.</summary>
    public static JsonObject Error(string code, string message, int exitCode) => new()
    {
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["exit_code"] = exitCode },
    };

    /// <summary>JSON has no NaN or infinity; a metric that is not finite becomes null.</summary>
    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    public static JsonObject Numbers(IEnumerable<KeyValuePair<string, double>> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = Number(v);
        return o;
    }
}
