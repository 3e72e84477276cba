using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Parity;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Runtime;
using Spectre.Console;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune selftest</c>: checks a backend against the host references: on a GPU first that every kernel
/// source compiles and loads (<see cref="KernelCompilation"/>), then every forward, backward, training and
/// masked-read kernel on odd and model-sized shapes in every dtype it stores (<see cref="KernelParitySuite"/>),
/// then whole forward passes of a GPT-2-small-shaped random model and of the shared test models, then whole
/// pruning steps of that model and of a small Llama-shaped one against the host trainer (<see cref="StepParity"/>). Prints the
/// backend, a table of the checks and "N checks passed, M failed"; exits 0 only when none failed. A device
/// that cannot be opened is a one-line error.
/// </summary>
public static class SelfTestCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var seed = new Option<int>("--seed") { Description = "seed of the random inputs and weights", DefaultValueFactory = _ => 1 }.AtLeast(int.MinValue);
        var quick = new Option<bool>("--quick") { Description = "a subset of the kernel shapes and a shorter model batch" };
        var tiny = new Option<bool>("--tiny")
        {
            Description = "forwards and pruning steps of tiny random models (GPT-2- and Llama-shaped, 2 layers) instead of GPT-2 small, and no " +
                "model folder unless --models names one: for the CUDA emulator, which runs every GPU thread on the CPU",
        };
        var tf32 = new Option<bool>("--tf32")
        {
            Description = "let f32 matrix products round their inputs to TF32 (cuBLAS tensor cores; cuda only), as a TF32 run would",
        };
        var models = new Option<string?>("--models")
        {
            Description = "folder of test models to run (default: $EDGEPRUNE_SHARED/models or a shared/models folder above here)",
        };
        var command = new Command("selftest", "check a backend's kernels and model forward against the reference implementation")
        {
            device, seed, quick, tiny, tf32, models,
        };
        command.SetAction(parse =>
        {
            var err = parse.InvocationConfiguration.Error;
            bool json = CommandOutput.IsJson(parse);
            int s = parse.GetValue(seed);
            bool q = parse.GetValue(quick);
            bool t = parse.GetValue(tiny);
            string deviceName = parse.GetValue(device) ?? "cpu";
            using var backend = KernelBackends.Open(deviceName);
            bool useTf32 = parse.GetValue(tf32);
            if (useTf32)
            {
                if (backend is not Kernels.Cuda.CudaKernelBackend cuda) throw new EdgePruningException($"--tf32 needs a cuda device, not {deviceName}");
                cuda.Context.Cublas.AllowTf32 = true;
            }
            if (!json) err.WriteLine($"checking the kernels of {backend.Name} ({backend.Description}) against the reference{(q ? " (quick)" : "")}");

            var compileCheck = KernelCompilation.Check(backend);
            if (compileCheck is not null) Progress(err, json, "compile", compileCheck);
            var kernelChecks = KernelParitySuite.Run(backend, ParityOracle.Host(), s, q, c => Progress(err, json, "kernel", c));

            string? folder = parse.GetValue(models) ?? (t ? null : SelfTestModels.DefaultFolder());
            if (folder is not null && !Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: model folder not found");
            if (!json) err.WriteLine("checking whole forward passes against the reference");
            var testModels = new List<SelfTestModel>
            {
                t ? SelfTestModels.TinyGpt2(s, batch: q ? 1 : 2, tokensPerSequence: q ? 3 : 4)
                    : SelfTestModels.RandomGpt2Small(s, batch: q ? 1 : 2, tokensPerSequence: q ? 3 : 4),
            };
            if (folder is not null) testModels.AddRange(SelfTestModels.FromFolder(folder, s));
            var modelChecks = ModelParity.Run(backend, testModels, c => Progress(err, json, "model", c));

            if (!json) err.WriteLine("checking whole pruning steps against the host trainer");
            var stepModels = new[]
            {
                testModels[0],
                t ? SelfTestModels.TinyLlama(s, batch: 1, tokensPerSequence: q ? 4 : 8) : SelfTestModels.RandomLlama(s, batch: 1, tokensPerSequence: q ? 4 : 8),
            };
            var stepChecks = StepParity.Run(backend, stepModels, c => Progress(err, json, "step", c))
                .Concat(StepGraphParity.Run(backend, stepModels, c => Progress(err, json, "step", c))).ToList();

            var compileChecks = compileCheck is null ? [] : new[] { compileCheck };
            var all = compileChecks.Concat(kernelChecks).Concat(modelChecks).Concat(stepChecks).ToList();
            int passed = all.Count(c => c.Status == ParityStatus.Passed), failed = all.Count(c => c.Status == ParityStatus.Failed);
            int notRun = all.Count(c => c.Status == ParityStatus.NotRun);
            string summary = $"{passed} checks passed, {failed} failed" + (notRun > 0 ? $", {notRun} not run" : "");
            var document = new JsonObject
            {
                ["device"] = backend.Name,
                ["description"] = backend.Description,
                ["dtypes"] = new JsonArray(backend.DTypes.Select(d => (JsonNode)d.Name()).ToArray()),
                ["seed"] = s,
                ["quick"] = q,
                ["tiny"] = t,
                ["tf32"] = useTf32,
                ["models_folder"] = folder,
                ["checks"] = new JsonArray(compileChecks.Select(c => Json("compile", c)).Concat(kernelChecks.Select(c => Json("kernel", c)))
                    .Concat(modelChecks.Select(c => Json("model", c))).Concat(stepChecks.Select(c => Json("step", c))).ToArray()),
                ["passed"] = passed,
                ["failed"] = failed,
                ["not_run"] = notRun,
                ["summary"] = summary,
            };
            return CommandOutput.Emit(parse, document, o =>
            {
                o.WriteLine($"backend {backend.Name}: {backend.Description}; dtypes {string.Join(", ", backend.DTypes.Select(d => d.Name()))}");
                o.WriteLine(folder is null
                    ? "no shared model folder found (set EDGEPRUNE_SHARED or pass --models DIR): model checks use the random GPT-2-small-shaped model only"
                    : $"models from {folder}");
                PrintTable(o, all);
                foreach (var c in all.Where(c => c.Status != ParityStatus.Passed))
                    o.WriteLine($"{(c.Status == ParityStatus.Failed ? "FAILED" : "not run")}: {c.Name} {c.DType.Name()} {c.Shape}: {c.Detail}");
                o.WriteLine(summary);
            }, failed == 0 ? CliApp.ExitOk : CliApp.ExitError);
        });
        return command;
    }

    private static void Progress(TextWriter err, bool json, string kind, ParityCheck c)
    {
        if (!json) return;
        CommandOutput.WriteEvent(err, "check", new JsonObject
        {
            ["kind"] = kind, ["name"] = c.Name, ["dtype"] = c.DType.Name(), ["shape"] = c.Shape, ["status"] = Status(c),
        });
    }

    private static void PrintTable(TextWriter o, IReadOnlyList<ParityCheck> checks)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200; // one line per check, also when stdout is a file or a pipe
        var table = new Table();
        foreach (var column in new[] { "check", "shape", "dtype", "max abs error", "max rel error", "tolerance", "ok" }) table.AddColumn(column);
        foreach (var c in checks)
            table.AddRow(Markup.Escape(c.Name), Markup.Escape(c.Shape), c.DType.Name(), Number(c.MaxAbsError), Number(c.MaxRelError),
                Markup.Escape(c.Status == ParityStatus.NotRun ? "" : c.Tolerance.ToString()),
                c.Status switch { ParityStatus.Passed => "ok", ParityStatus.Failed => "FAIL", _ => "not run" });
        console.Write(table);
    }

    private static JsonNode Json(string kind, ParityCheck c) => new JsonObject
    {
        ["kind"] = kind,
        ["name"] = c.Name,
        ["dtype"] = c.DType.Name(),
        ["shape"] = c.Shape,
        ["status"] = Status(c),
        ["max_abs_error"] = CommandOutput.Number(c.MaxAbsError),
        ["max_rel_error"] = CommandOutput.Number(c.MaxRelError),
        ["atol"] = c.Status == ParityStatus.NotRun ? null : CommandOutput.Number(c.Tolerance.Atol),
        ["rtol"] = c.Status == ParityStatus.NotRun ? null : CommandOutput.Number(c.Tolerance.Rtol),
        // The factor of each element's term size (the pruning steps' mask gradients, ParityTolerances.ForStep); null elsewhere.
        ["term_rtol"] = c.Tolerance.ScalesWithTerms ? CommandOutput.Number(c.Tolerance.TermRtol) : null,
        ["detail"] = c.Detail,
    };

    private static string Status(ParityCheck c) => c.Status switch
    {
        ParityStatus.Passed => "passed",
        ParityStatus.Failed => "failed",
        _ => "not_run",
    };

    private static string Number(double value) =>
        double.IsNaN(value) ? "-" : value.ToString("0.00e0", CultureInfo.InvariantCulture);
}
