using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Cli.View;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Cli.Commands;

/// <summary><c>edgeprune view circuit.json [--compare other.json]</c>: one self-contained HTML page that draws the circuit.</summary>
public static class ViewCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("circuit") { Description = "circuit.json" };
        var compare = new Option<string?>("--compare") { Description = "a second circuit of the same model: colours shared, only-A and only-B edges" };
        var output = new Option<string?>("--out") { Description = "output file (default: beside the circuit, .html)" };
        var command = new Command("view", "write a self-contained HTML page that draws a circuit (no network needed to open it)") { path, compare, output };
        command.SetAction(parse =>
        {
            string input = parse.GetRequiredValue(path);
            var a = CircuitJson.Read(input);
            var b = parse.GetValue(compare) is { } other ? CircuitJson.Read(other) : null;
            string target = parse.GetValue(output)
                ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input))!, Path.GetFileNameWithoutExtension(input) + ".html");
            var (nameA, nameB) = b is null ? (Path.GetFileName(input), null) : CircuitPage.SideNames(input, parse.GetValue(compare)!);
            var page = CircuitPage.Build(a, b, nameA, nameB);
            OutputPaths.Writing(target, () => File.WriteAllText(target, page.Html));
            var result = new JsonObject { ["path"] = target, ["nodes"] = page.Nodes, ["edges"] = page.Edges };
            return CommandOutput.Emit(parse, result, o => o.WriteLine(target));
        });
        return command;
    }
}
