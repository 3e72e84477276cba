using System.CommandLine;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Rasp;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune rasp list</c>: the built-in RASP programs with their compiled shapes and ground-truth sizes;
/// <c>edgeprune rasp compile NAME --out FILE.safetensors</c>: writes one as a Tracr-layout model (plus NAME.json
/// and NAME.ground_truth.json) that every other command loads.
/// </summary>
public static class RaspCommand
{
    public static Command Create()
    {
        var list = new Command("list", "list the built-in RASP programs");
        list.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"{"program",-12} {"layers",6} {"d",4} {"edges",6} {"truth",6}  description");
            foreach (var program in Programs.All)
            {
                var compiled = program.Compile();
                long edges = EdgeGraph.For(compiled.Config, 2).EdgeCount;
                string mark = program.Name == Programs.Default ? " (default)" : "";
                o.WriteLine($"{program.Name,-12} {compiled.Config.Layers,6} {compiled.Config.ModelDim,4} {edges,6} {program.GroundTruth(compiled).Count,6}  {program.Description}{mark}");
                o.WriteLine($"{"",-12} {"",6} {"",4} {"",6} {"",6}  {program.Source}");
            }
            return 0;
        });

        var name = new Argument<string>("program") { Description = "a program from edgeprune rasp list" };
        var outPath = new Option<string>("--out") { Description = "the .safetensors file to write", Required = true };
        var compile = new Command("compile", "compile a built-in RASP program to a Tracr-layout safetensors model") { name, outPath };
        compile.SetAction(parse =>
        {
            var program = Programs.Get(parse.GetValue(name)!);
            var compiled = program.Compile();
            string path = parse.GetValue(outPath)!;
            OutputPaths.Writing(path, () => compiled.Save(path, program.GroundTruth(compiled)));
            parse.InvocationConfiguration.Output.WriteLine(
                $"{program.Name}: {compiled.Config.Layers} layers, d = {compiled.Config.ModelDim}, written to {path} (with its .json and .ground_truth.json)");
            return 0;
        });

        return new Command("rasp", "built-in RASP programs compiled to transformers with known circuits") { list, compile };
    }
}
