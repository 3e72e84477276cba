using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgePruning.Models;
using EdgePruning.Models.Generation;
using EdgePruning.Models.Loaders;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune generate</c>: the prompt and its continuation on stdout (nothing else); timing on stderr.
/// </summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "model file or directory", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer file or directory (default: found beside the model)" };
        var prompt = new Option<string>("--prompt") { Description = "text to continue", DefaultValueFactory = _ => "" };
        var steps = new Option<int>("--steps") { Description = "number of tokens to generate", DefaultValueFactory = _ => 64 }.AtLeast(0);
        var temperature = new Option<float>("--temperature") { Description = "0 is greedy argmax", DefaultValueFactory = _ => 0f }.NonNegative();
        var seed = new Option<int>("--seed") { Description = "seed of the sampler", DefaultValueFactory = _ => 0 }.AtLeast(int.MinValue);
        var command = new Command("generate", "continue a prompt with a model (greedy or sampled), to check that it loads and runs")
        {
            model, tokenizer, prompt, steps, temperature, seed,
        };
        var devices = new DeviceOptions();
        devices.AddTo(command);
        command.SetAction(parse =>
        {
            bool json = CommandOutput.IsJson(parse);
            // With --json the text is collected and printed inside the one document at the end.
            var o = json ? new StringWriter() : parse.InvocationConfiguration.Output;
            var err = parse.InvocationConfiguration.Error;
            string modelPath = parse.GetRequiredValue(model);
            var loaded = ModelLoader.Load(modelPath);
            var tok = parse.GetValue(tokenizer) is { } tp ? TokenizerLoader.Load(tp) : TokenizerLoader.ForModel(modelPath);
            TokenizerLoader.EnsureMatches(tok, loaded.Config.VocabSize, modelPath);
            using var device = devices.Open(parse, loaded);
            DeviceOptions.Announce(err, json, device);
            var transformer = device.Place(loaded.Config, loaded.Weights, modelPath);

            string text = parse.GetValue(prompt) ?? "";
            var ids = tok.Encode(text, addBos: tok.BosId is not null).ToList();
            if (ids.Count == 0 && tok.BosId is { } bos) ids.Add(bos);

            // The last token needs no room in the cache: it is produced, never fed back.
            int requested = parse.GetValue(steps), room = loaded.Config.MaxSeqLen - ids.Count + 1;
            if (requested > room && room > 0)
            {
                // The cache holds the model's context and no more: say so rather than stop short in silence.
                string note = $"--steps {requested} runs past the model's context of {loaded.Config.MaxSeqLen} tokens " +
                    $"(the prompt takes {ids.Count}); generation stops early, after at most {room} tokens";
                if (json) CommandOutput.WriteEvent(err, "warning", new JsonObject { ["message"] = note });
                else err.WriteLine($"edgeprune: warning: {note}");
            }
            o.Write(text);
            o.Flush();
            var sampler = new Sampler(parse.GetValue(temperature), parse.GetValue(seed));
            var clock = Stopwatch.StartNew();
            int produced = 0, previous = ids[^1];
            foreach (int id in new TextGenerator(transformer).Generate(ids, parse.GetValue(steps), sampler, tok.EosId))
            {
                o.Write(tok.DecodeToken(previous, id));
                o.Flush();
                previous = id;
                produced++;
            }
            double seconds = clock.Elapsed.TotalSeconds;
            if (json)
            {
                CommandOutput.WriteDocument(parse.InvocationConfiguration.Output, new JsonObject
                {
                    ["prompt"] = text,
                    ["text"] = o.ToString(),
                    ["prompt_tokens"] = ids.Count,
                    ["generated_tokens"] = produced,
                    ["seconds"] = seconds,
                    ["device"] = DeviceOptions.ToJson(device),
                });
                return 0;
            }
            o.WriteLine();
            err.WriteLine($"{produced} tokens in {seconds:F2} s ({(seconds > 0 ? produced / seconds : 0):F1} tokens/s, prompt {ids.Count} tokens)");
            return 0;
        });
        return command;
    }
}
