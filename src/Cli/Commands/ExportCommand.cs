using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Runtime;

namespace EdgePruning.Cli.Commands;

/// <summary><c>edgeprune export circuit.json --format mib|dot|svg|png</c>.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("circuit") { Description = "circuit.json" };
        var format = new Option<string>("--format") { Description = "mib, dot, svg or png", DefaultValueFactory = _ => "dot" };
        var output = new Option<string?>("--out") { Description = "output file (default: beside the circuit, with the format's extension)" };
        var command = new Command("export", "write a circuit as MIB JSON, Graphviz DOT, or an SVG/PNG picture") { path, format, output };
        command.SetAction(parse =>
        {
            string input = parse.GetRequiredValue(path);
            var circuit = CircuitJson.Read(input);
            string fmt = parse.GetValue(format)!.ToLowerInvariant();
            string ext = fmt == "mib" ? ".mib.json" : "." + fmt;
            string target = parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(input))!, Path.GetFileNameWithoutExtension(input) + ext);
            if (fmt is not ("mib" or "dot" or "svg" or "png"))
                throw new EdgePruningException($"unknown export format '{fmt}' (expected mib, dot, svg or png)");
            OutputPaths.Writing(target, () =>
            {
                switch (fmt)
                {
                    case "mib": MibCircuit.Write(circuit, circuit.Model.ToGraph(), target); break;
                    case "dot": CircuitDot.Write(circuit, target, circuit.Task); break;
                    case "svg": CircuitDot.Render(CircuitDot.ToDot(circuit, circuit.Task), GraphvizFormat.Svg, target); break;
                    case "png": CircuitDot.Render(CircuitDot.ToDot(circuit, circuit.Task), GraphvizFormat.Png, target); break;
                }
            });
            return CommandOutput.Emit(parse, new JsonObject { ["path"] = target, ["format"] = fmt }, o => o.WriteLine(target));
        });
        return command;
    }
}
