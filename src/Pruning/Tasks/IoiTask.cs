using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// Indirect object identification on GPT-2 ("Then, Mary and John went to the store. John gave a drink
/// to" → " Mary"), from the templates and word lists of <c>ioi.json</c>. Two BABA and two ABBA
/// templates (the ones the published script holds out) are used only by the test split. The clean
/// sequence is the whole sentence including the answer name; the KL covers the positions that predict
/// the answer's tokens, and the metric reads the one that predicts its first token.
/// </summary>
public static class IoiTask
{
    public const string Name = "ioi";
    public static readonly TaskSplitSizes DefaultSizes = new(200, 200, 1000);

    private const int MaxCorruptionDraws = 10_000;

    public static TaskDataset Create(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0)
    {
        sizes ??= DefaultSizes;
        sizes.Validate(Name);
        var data = IoiData.Load();
        var rng = new Random(seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var train = Generate(tokenizer, data, data.TrainTemplates, sizes.Train, rng, seen);
        var validation = Generate(tokenizer, data, data.TrainTemplates, sizes.Validation, rng, seen);
        var test = Generate(tokenizer, data, data.TestTemplates, sizes.Test, rng, seen);
        return new TaskDataset
        {
            Name = Name,
            Train = train,
            Validation = validation,
            Test = test,
            Loss = TaskLoss.KlFullVocabulary,
            Metric = TaskMetric.LogitDifference,
            PadToken = tokenizer.EosId ?? 0,
        };
    }

    private static List<TaskExample> Generate(ITokenizer tokenizer, IoiData data, string[] templates, int count, Random rng, HashSet<string> seen)
    {
        long distinct = (long)templates.Length * data.IoNames.Length * data.SubjectNames.Length * data.Places.Length * data.Objects.Length;
        if (count > distinct / 2)
            throw new TaskDataException($"task {Name}: {count} examples asked for from {templates.Length} templates, which give {distinct} sentences; at most half of them can be drawn");
        var examples = new List<TaskExample>(count);
        while (examples.Count < count)
        {
            var s = new IoiSentence(
                templates[rng.Next(templates.Length)],
                data.IoNames[rng.Next(data.IoNames.Length)],
                data.SubjectNames[rng.Next(data.SubjectNames.Length)],
                data.Places[rng.Next(data.Places.Length)],
                data.Objects[rng.Next(data.Objects.Length)]);
            // Sentences are distinct across all splits, as in the de-duplicated pool the reference samples.
            if (!seen.Add(s.Fill(s.A, s.B, s.A, s.B))) continue;
            examples.Add(Build(tokenizer, data, s, rng));
        }
        return examples;
    }

    private static TaskExample Build(ITokenizer tokenizer, IoiData data, IoiSentence s, Random rng)
    {
        string text = s.Fill(s.A, s.B, s.A, s.B);
        string prompt = text[..text.LastIndexOf(' ')];
        var (clean, promptLength) = PromptEncoding.Encode(tokenizer, prompt, " " + s.A, addBos: false, Name);
        var (withSubject, _) = PromptEncoding.Encode(tokenizer, prompt, " " + s.B, addBos: false, Name);
        var corrupted = Corrupt(tokenizer, data, s, clean.Length, rng);
        var lossPositions = Enumerable.Range(promptLength - 1, clean.Length - promptLength).ToArray();
        return new TaskExample
        {
            Clean = clean,
            Corrupted = corrupted,
            LossPositions = lossPositions,
            MetricPosition = promptLength - 1,
            Targets = clean[promptLength..],
            Distractors = [withSubject[promptLength]],
            Text = text,
        };
    }

    /// <summary>
    /// ioi.json's ABCD rule: four distinct fresh names for the first A, first B, final A and second B,
    /// none equal to the clean A or B, redrawn together until the sentence keeps its token count.
    /// </summary>
    private static int[] Corrupt(ITokenizer tokenizer, IoiData data, IoiSentence s, int length, Random rng)
    {
        var pool = data.CorruptionNames;
        for (int draw = 0; draw < MaxCorruptionDraws; draw++)
        {
            var picks = new string[4];
            int n = 0;
            while (n < 4)
            {
                string name = pool[rng.Next(pool.Length)];
                if (Array.IndexOf(picks, name, 0, n) < 0) picks[n++] = name;
            }
            if (picks.Contains(s.A) || picks.Contains(s.B)) continue;
            var tokens = tokenizer.Encode(s.Fill(picks[0], picks[1], picks[2], picks[3]));
            if (tokens.Count == length) return tokens.ToArray();
        }
        throw new TaskDataException($"task {Name}: no corruption of \"{s.Fill(s.A, s.B, s.A, s.B)}\" with {length} tokens in {MaxCorruptionDraws} draws");
    }

    /// <summary>One filled template; the four name slots can be filled independently for the corruption.</summary>
    private sealed record IoiSentence(string Template, string A, string B, string Place, string Object)
    {
        public string Fill(string firstA, string firstB, string secondA, string secondB)
        {
            var text = Template.Replace("{PLACE}", Place).Replace("{OBJECT}", Object);
            text = ReplaceInOrder(text, "{A}", firstA, secondA);
            return ReplaceInOrder(text, "{B}", firstB, secondB);
        }

        private static string ReplaceInOrder(string text, string slot, string first, string rest)
        {
            int at = text.IndexOf(slot, StringComparison.Ordinal);
            if (at < 0) return text;
            return text[..at] + first + text[(at + slot.Length)..].Replace(slot, rest);
        }
    }

    private sealed class IoiData
    {
        public required string[] TrainTemplates { get; init; }
        public required string[] TestTemplates { get; init; }
        public required string[] IoNames { get; init; }
        public required string[] SubjectNames { get; init; }
        public required string[] Places { get; init; }
        public required string[] Objects { get; init; }
        public required string[] CorruptionNames { get; init; }

        private static readonly Lazy<IoiData> s_data = new(Read);
        public static IoiData Load() => s_data.Value;

        private static IoiData Read()
        {
            var ioi = TaskDataFiles.Read("ioi.json");
            var gp = TaskDataFiles.Read("gendered_pronoun.json");
            var all = ioi.Strings("templates", "baba").Concat(ioi.Strings("templates", "abba"));
            // The "long argument" templates (no PLACE, no OBJECT) were de-duplicated down to 2,500
            // sentences each in the source pool against 1,000,000 for the others, so the reference data
            // practically never contains them; they are left out rather than sampled at equal weight.
            var withArguments = all.Where(t => t.Contains("{PLACE}", StringComparison.Ordinal) || t.Contains("{OBJECT}", StringComparison.Ordinal)).ToArray();
            var heldOut = ioi.Strings("held_out_test_templates", "templates_selected_by_that_rule", "baba")
                .Concat(ioi.Strings("held_out_test_templates", "templates_selected_by_that_rule", "abba")).ToArray();
            return new IoiData
            {
                TrainTemplates = withArguments.Where(t => !heldOut.Contains(t)).ToArray(),
                TestTemplates = heldOut,
                IoNames = ioi.Strings("names", "io_names_A"),
                SubjectNames = ioi.Strings("names", "subject_names_B"),
                Places = ioi.Strings("places"),
                Objects = ioi.Strings("objects"),
                CorruptionNames = gp.Strings("names_json", "boys").Concat(gp.Strings("names_json", "girls")).ToArray(),
            };
        }
    }
}
