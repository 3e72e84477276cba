using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Cli.Commands;

/// <summary><c>edgeprune eval</c>: a circuit against its full model on a task split: KL and the task metrics.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "model file or directory", Required = true };
        var circuitPath = new Option<string>("--circuit") { Description = "circuit.json", Required = true };
        var task = new Option<string?>("--task") { Description = "task (default: the circuit's task)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer file or directory (default: found beside the model)" };
        var split = new Option<string>("--split") { Description = "train, validation or test", DefaultValueFactory = _ => "test" };
        var ablation = new Option<string?>("--ablation") { Description = "interchange, zero, mean or optimal (default: the circuit's)" };
        var batch = new Option<int>("--batch") { Description = "sequences per forward", DefaultValueFactory = _ => 32 }.AtLeast(1);
        var command = new Command("eval", "evaluate a circuit: KL to the full model and the task metrics") { model, circuitPath, task, tokenizer, split, ablation, batch };
        var devices = new DeviceOptions();
        devices.AddTo(command);
        command.SetAction(parse =>
        {
            RunDevice? runDevice = null;
            var circuit = CircuitJson.Read(parse.GetRequiredValue(circuitPath));
            string taskName = parse.GetValue(task) ?? (PruningJob.IsTracrTask(circuit.Task) ? "tracr" : circuit.Task);
            string ablationName = parse.GetValue(ablation) ?? (circuit.Ablation.Length > 0 ? circuit.Ablation : "interchange");
            var job = PruningJob.Create(parse.GetRequiredValue(model), taskName, loaded => runDevice = devices.Open(parse, loaded), d => d with
            {
                Ablation = AblationNames.Parse(ablationName),
                NodeMasks = false,
                EmbeddingNodes = circuit.Model.EmbeddingNodes,
                Batch = parse.GetValue(batch),
            }, parse.GetValue(tokenizer));
            using var deviceLease = runDevice;
            if (!circuit.Model.Matches(job.Masked.Graph))
                throw new CircuitFormatException($"the circuit was found in a model of another shape ({circuit.Model.Layers} layers, {circuit.Model.Heads} heads, d {circuit.Model.ModelDim})");
            var examples = parse.GetValue(split) switch
            {
                "train" => job.Task.Train,
                "validation" => job.Task.Validation,
                "test" => job.Task.Test,
                var s => throw new Runtime.EdgePruningException($"unknown split '{s}' (expected train, validation or test)"),
            };
            if (examples.Count == 0)
                throw new Runtime.EdgePruningException(parse.GetValue(split) == "test"
                    ? RunShortfalls.NoTestSplit(job.Task)
                    : $"task {job.Task.Name} has no {parse.GetValue(split)} examples to evaluate on");
            DeviceOptions.Announce(parse.InvocationConfiguration.Error, CommandOutput.IsJson(parse), runDevice!);
            var masks = CircuitMasks.FromCircuit(job.Masked.Layout, circuit);
            var metrics = CircuitEvaluator.Evaluate(job.Pruner, masks, examples, parse.GetValue(batch));
            var result = new JsonObject
            {
                ["task"] = job.Task.Name,
                ["split"] = parse.GetValue(split),
                ["examples"] = examples.Count,
                ["ablation"] = job.Options.Ablation.Name(),
                ["device"] = job.DeviceName,
                ["kept_edges"] = circuit.KeptEdgeCount,
                ["total_edges"] = circuit.TotalEdges,
                ["metrics"] = CommandOutput.Numbers(metrics),
            };
            return CommandOutput.Emit(parse, result, o =>
            {
                o.WriteLine($"task           {job.Task.Name} ({parse.GetValue(split)}, {examples.Count} examples, {job.Options.Ablation.Name()} ablation)");
                CircuitReport.PrintMetrics(o, metrics);
            });
        });
        return command;
    }
}
