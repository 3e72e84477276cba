using System.Text.Json;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// A task written by the user as JSON lines, one clean/corrupted pair a line:
/// <code>
/// {"clean": "When Mary and John went to the store, John gave a drink to", "corrupted": "...", "target": " Mary", "distractor": " John"}
/// {"clean": "The capital of France is Paris", "corrupted": "The capital of Italy is Rome", "label_position": -1}
/// </code>
/// With <c>target</c>/<c>distractor</c>, the clean text is the prompt: the KL and the metric read its last
/// position, and each answer is one token as tokenized right after the prompt (a longer answer is refused).
/// With <c>label_position</c>, the clean text contains its answer: the position (negative: from the end,
/// −1 = last token) names the answer token, the KL and the metric read the position before it, and the
/// corrupted token there, where it differs, is the distractor. An optional <c>"split"</c> of "train",
/// "validation" or "test" places a line; lines without one are shuffled (seeded) and split 80/10/10.
/// Other fields are ignored. Blank lines are skipped.
/// </summary>
public static class JsonlTask
{
    /// <param name="addBos">BOS before every sequence; by default when the tokenizer has a BOS distinct
    /// from its end-of-text (llama2.c, SentencePiece, Tracr), not for GPT-2 whose BOS is &lt;|endoftext|&gt;.</param>
    public static TaskDataset Load(string path, ITokenizer tokenizer, int seed = 0, bool? addBos = null)
    {
        if (!File.Exists(path)) throw new TaskDataException($"{path}: task file not found");
        bool bos = addBos ?? (tokenizer.BosId is int b && b != tokenizer.EosId);
        var placed = new Dictionary<string, List<TaskExample>>(StringComparer.Ordinal)
        {
            ["train"] = [], ["validation"] = [], ["test"] = [],
        };
        var unplaced = new List<TaskExample>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (example, split) = ParseLine(line, tokenizer, bos, $"{path}, line {lineNumber}");
            if (split is null) unplaced.Add(example);
            else placed[split].Add(example);
        }
        if (unplaced.Count + placed.Values.Sum(l => l.Count) == 0)
            throw new TaskDataException($"{path}: no examples (one JSON object per line expected)");

        var order = unplaced.ToArray();
        new Random(seed).Shuffle(order);
        int validation = order.Length >= 3 ? Math.Max(1, (int)Math.Round(order.Length * 0.1)) : 0;
        int test = validation;
        int train = order.Length - validation - test;
        placed["train"].AddRange(order[..train]);
        placed["validation"].AddRange(order[train..(train + validation)]);
        placed["test"].AddRange(order[(train + validation)..]);

        return new TaskDataset
        {
            Name = Path.GetFileNameWithoutExtension(path),
            Train = placed["train"],
            Validation = placed["validation"],
            Test = placed["test"],
            Loss = TaskLoss.KlFullVocabulary,
            Metric = TaskMetric.LogitDifference,
            PadToken = tokenizer.EosId ?? 0,
        };
    }

    private static (TaskExample Example, string? Split) ParseLine(string line, ITokenizer tokenizer, bool bos, string where)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new TaskDataException($"{where}: not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new TaskDataException($"{where}: expected a JSON object such as {{\"clean\": ..., \"corrupted\": ..., \"target\": ..., \"distractor\": ...}}, found {root.ValueKind}");
            string clean = RequiredString(root, "clean", where);
            string corrupted = RequiredString(root, "corrupted", where);
            string? target = OptionalString(root, "target", where);
            string? distractor = OptionalString(root, "distractor", where);
            int? labelPosition = OptionalInt(root, "label_position", where);
            string? split = OptionalString(root, "split", where);
            if (split is not null and not ("train" or "validation" or "test"))
                throw new TaskDataException($"{where}: \"split\" is \"{split}\"; expected \"train\", \"validation\" or \"test\"");

            bool answers = target is not null || distractor is not null;
            if (answers == labelPosition.HasValue)
                throw new TaskDataException($"{where}: give either \"target\" and \"distractor\" or \"label_position\"{(answers ? ", not both" : "")}");
            if (answers && (target is null || distractor is null))
                throw new TaskDataException($"{where}: missing field \"{(target is null ? "target" : "distractor")}\" (\"target\" and \"distractor\" go together)");

            var cleanTokens = Encode(tokenizer, clean, bos, "clean", where);
            var corruptedTokens = Encode(tokenizer, corrupted, bos, "corrupted", where);
            if (cleanTokens.Count != corruptedTokens.Count)
                throw new TaskDataException(
                    $"{where}: clean has {cleanTokens.Count} tokens but corrupted has {corruptedTokens.Count}; an interchange needs equal lengths");

            var example = answers
                ? WithAnswers(tokenizer, clean, cleanTokens, corruptedTokens, target!, distractor!, bos, where)
                : WithLabelPosition(cleanTokens, corruptedTokens, labelPosition!.Value, where);
            return (example with { Text = clean }, split);
        }
    }

    private static TaskExample WithAnswers(ITokenizer tokenizer, string clean, IReadOnlyList<int> cleanTokens, IReadOnlyList<int> corruptedTokens,
        string target, string distractor, bool bos, string where)
    {
        int Answer(string text, string field)
        {
            try
            {
                int first = PromptEncoding.FirstAnswerToken(tokenizer, cleanTokens, clean, text, bos)
                    ?? throw new TaskDataException($"{where}: \"{field}\" \"{text}\" encodes to no tokens");
                // The metric and the KL read one position: a longer answer would be cut to its first token
                // without a word, so it is refused here instead.
                var tokens = tokenizer.Encode(clean + text, bos);
                int count = PromptEncoding.IsPrefix(cleanTokens, tokens, strict: true)
                    ? tokens.Count - cleanTokens.Count
                    : tokenizer.Encode(text).Count;
                if (count > 1)
                    throw new TaskDataException($"{where}: \"{field}\" \"{text}\" is {count} tokens after the prompt; " +
                        "answers must be one token (the metric and the KL read one position): shorten it, or give the whole " +
                        "answer in \"clean\" with \"label_position\"");
                return first;
            }
            catch (TokenizerException e) { throw new TaskDataException($"{where}: \"{field}\": {e.Message}", e); }
        }
        int t = Answer(target, "target"), d = Answer(distractor, "distractor");
        if (t == d)
            throw new TaskDataException($"{where}: \"target\" \"{target}\" and \"distractor\" \"{distractor}\" begin with the same token ({tokenizer.TokenText(t)}); the logit difference would be 0");
        int last = cleanTokens.Count - 1;
        return new TaskExample
        {
            Clean = [.. cleanTokens],
            Corrupted = [.. corruptedTokens],
            LossPositions = [last],
            MetricPosition = last,
            Targets = [t],
            Distractors = [d],
        };
    }

    private static TaskExample WithLabelPosition(IReadOnlyList<int> clean, IReadOnlyList<int> corrupted, int labelPosition, string where)
    {
        int p = labelPosition < 0 ? clean.Count + labelPosition : labelPosition;
        // The answer is predicted from the position before it, so the first token cannot be one.
        if (p < 1 || p >= clean.Count)
            throw new TaskDataException(
                $"{where}: \"label_position\" {labelPosition} is outside the {clean.Count} clean tokens (it must name a token after the first: 1..{clean.Count - 1}, or -1..-{clean.Count - 1})");
        return new TaskExample
        {
            Clean = [.. clean],
            Corrupted = [.. corrupted],
            LossPositions = [p - 1],
            MetricPosition = p - 1,
            Targets = [clean[p]],
            Distractors = corrupted[p] != clean[p] ? [corrupted[p]] : [],
        };
    }

    private static IReadOnlyList<int> Encode(ITokenizer tokenizer, string text, bool bos, string field, string where)
    {
        IReadOnlyList<int> tokens;
        try { tokens = tokenizer.Encode(text, bos); }
        catch (TokenizerException e) { throw new TaskDataException($"{where}: \"{field}\": {e.Message}", e); }
        if (tokens.Count == (bos ? 1 : 0)) throw new TaskDataException($"{where}: \"{field}\" encodes to no tokens");
        return tokens;
    }

    private static string RequiredString(JsonElement root, string name, string where) =>
        OptionalString(root, name, where) ?? throw new TaskDataException($"{where}: missing field \"{name}\"");

    private static string? OptionalString(JsonElement root, string name, string where)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String) throw new TaskDataException($"{where}: \"{name}\" must be a string, found {e.ValueKind}");
        return e.GetString();
    }

    private static int? OptionalInt(JsonElement root, string name, string where)
    {
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int value))
            throw new TaskDataException($"{where}: \"{name}\" must be an integer, found {e.GetRawText()}");
        return value;
    }
}
