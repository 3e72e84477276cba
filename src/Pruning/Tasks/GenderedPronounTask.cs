using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// Gendered pronoun on GPT-2 ("So Patrick is great with kids, isn't" → " he"), from the 30 templates
/// and the 63 + 63 single-token names of <c>gendered_pronoun.json</c>: every template with every name,
/// shuffled and cut into disjoint splits. The clean sequence is prompt + pronoun (the training input of
/// the reference); the KL and the metric read the last prompt position.
/// </summary>
public static class GenderedPronounTask
{
    public const string Name = "gp";
    public static readonly TaskSplitSizes DefaultSizes = new(150, 150, 378);

    private const int MaxCorruptionDraws = 10_000;

    public static TaskDataset Create(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0)
    {
        sizes ??= DefaultSizes;
        sizes.Validate(Name);
        var file = TaskDataFiles.Read("gendered_pronoun.json");
        var templates = file.Strings("templates");
        string he = file.String("target_tokens", "male"), she = file.String("target_tokens", "female");
        var boys = file.Strings("clean_names", "boys");
        var girls = file.Strings("clean_names", "girls");
        var allBoys = file.Strings("names_json", "boys");
        var allGirls = file.Strings("names_json", "girls");

        var cells = new List<(string Template, string Name, bool Male)>();
        foreach (var t in templates)
        {
            foreach (var b in boys) cells.Add((t, b, true));
            foreach (var g in girls) cells.Add((t, g, false));
        }
        int total = sizes.Train + sizes.Validation + sizes.Test;
        if (total > cells.Count)
            throw new TaskDataException($"task {Name}: {total} examples asked for, but the templates and names give only {cells.Count}");

        var rng = new Random(seed);
        var order = cells.ToArray();
        rng.Shuffle(order);
        var examples = order.Take(total).Select(c =>
        {
            string prompt = c.Template.Replace("{name}", c.Name);
            var (clean, promptLength) = PromptEncoding.Encode(tokenizer, prompt, c.Male ? he : she, addBos: false, Name);
            var (other, _) = PromptEncoding.Encode(tokenizer, prompt, c.Male ? she : he, addBos: false, Name);
            var corrupted = Corrupt(tokenizer, c.Template, c.Name, promptLength, clean.Length, c.Male ? allGirls : allBoys, c.Male ? she : he, rng);
            return new TaskExample
            {
                Clean = clean,
                Corrupted = corrupted,
                LossPositions = [promptLength - 1],
                MetricPosition = promptLength - 1,
                Targets = [clean[promptLength]],
                Distractors = [other[promptLength]],
                Text = prompt + (c.Male ? he : she),
            };
        }).ToList();

        return new TaskDataset
        {
            Name = Name,
            Train = examples.GetRange(0, sizes.Train),
            Validation = examples.GetRange(sizes.Train, sizes.Validation),
            Test = examples.GetRange(sizes.Train + sizes.Validation, sizes.Test),
            Loss = TaskLoss.KlFullVocabulary,
            Metric = TaskMetric.LogitDifference,
            PadToken = tokenizer.EosId ?? 0,
        };
    }

    /// <summary>
    /// A name of the other gender from the full names list with the same prompt token count, followed by
    /// that gender's pronoun. Names in both lists (Taylor, Jordan) may not corrupt to themselves: the
    /// input would not change.
    /// </summary>
    private static int[] Corrupt(ITokenizer tokenizer, string template, string name, int promptLength, int length, string[] pool, string pronoun, Random rng)
    {
        for (int draw = 0; draw < MaxCorruptionDraws; draw++)
        {
            string other = pool[rng.Next(pool.Length)];
            if (other == name) continue;
            var (tokens, corruptedPromptLength) = PromptEncoding.Encode(tokenizer, template.Replace("{name}", other), pronoun, addBos: false, Name);
            if (corruptedPromptLength == promptLength && tokens.Length == length) return tokens;
        }
        throw new TaskDataException($"task {Name}: no name of the other gender gives \"{template.Replace("{name}", name)}\" its {promptLength} tokens");
    }
}
