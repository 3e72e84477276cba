using System.Globalization;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// Greater-Than on GPT-2 ("The marriage lasted from 1475 to 14" → a YY above 75), by the rules of
/// <c>greater_than.json</c>: the first template, 120 nouns, centuries 10–21, years that split into "CC" +
/// "YY", and train/validation/test drawn from disjoint sets of YY (the released ones). The KL is taken
/// over the 100 tokens "00".."99" at the last position; <see cref="TaskExample.Label"/> is the YY the
/// probability difference compares against.
/// </summary>
public static class GreaterThanTask
{
    public const string Name = "gt";
    /// <summary>The released test split is every test-YY example (12,240); a sample of it keeps runs short.</summary>
    public static readonly TaskSplitSizes DefaultSizes = new(150, 150, 1000);

    private const int FirstCentury = 10, LastCentury = 21;
    private const int MaxCorruptionDraws = 10_000;

    public static TaskDataset Create(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0)
    {
        sizes ??= DefaultSizes;
        sizes.Validate(Name);
        var file = TaskDataFiles.Read("greater_than.json");
        string template = file.At("templates_used_in_released_data")[0].GetString() ?? "";
        var nouns = file.Strings("nouns");
        var validationYY = file.Strings("split_by_YY", "released_validation_YY").Select(ParseYY).ToHashSet();
        var testYY = file.Strings("split_by_YY", "released_test_YY").Select(ParseYY).ToHashSet();

        var columns = OutputColumns(tokenizer);
        var valid = ValidYYByCentury(tokenizer);
        var cells = Cells(valid);
        var rng = new Random(seed);
        var generator = new Generator(tokenizer, template, valid, rng);

        List<TaskExample> Sample(Func<int, bool> inSplit, int count)
        {
            var pool = cells.Where(c => inSplit(c.Digits))
                .SelectMany(c => nouns.Select(n => (c.Century, c.StartYY, c.Digits, Noun: n))).ToArray();
            rng.Shuffle(pool);
            return pool.Take(count).Select(p => generator.Build(p.Noun, p.Century, p.StartYY, p.Digits)).ToList();
        }

        return new TaskDataset
        {
            Name = Name,
            Train = Sample(yy => !validationYY.Contains(yy) && !testYY.Contains(yy), sizes.Train),
            Validation = Sample(validationYY.Contains, sizes.Validation),
            Test = Sample(testYY.Contains, sizes.Test),
            Loss = TaskLoss.KlRestricted,
            Metric = TaskMetric.ProbabilityDifference,
            OutputColumns = columns,
            PadToken = tokenizer.EosId ?? 0,
        };
    }

    /// <summary>The token ids of "00".."99", in numeric order; each must be one token.</summary>
    public static int[] OutputColumns(ITokenizer tokenizer)
    {
        var columns = new int[100];
        for (int yy = 0; yy < 100; yy++)
        {
            var ids = tokenizer.Encode(TwoDigits(yy));
            if (ids.Count != 1)
                throw new TaskDataException($"task {Name}: {tokenizer.Name} encodes \"{TwoDigits(yy)}\" as {ids.Count} tokens; Greater-Than needs each of \"00\"..\"99\" to be one token (GPT-2)");
            columns[yy] = ids[0];
        }
        return columns;
    }

    /// <summary>
    /// For each century, the YY whose year "CCYY" (no leading space) encodes as exactly "CC" + "YY";
    /// other years (single tokens such as "1920", or 3 + 1 splits) give the model no two-digit answer.
    /// </summary>
    public static SortedDictionary<int, int[]> ValidYYByCentury(ITokenizer tokenizer)
    {
        var valid = new SortedDictionary<int, int[]>();
        for (int cc = FirstCentury; cc <= LastCentury; cc++)
            valid[cc] = Enumerable.Range(0, 100).Where(yy =>
            {
                var ids = tokenizer.Encode($"{cc}{TwoDigits(yy)}");
                return ids.Count == 2 && tokenizer.Decode([ids[0]]) == cc.ToString(CultureInfo.InvariantCulture) && tokenizer.Decode([ids[1]]) == TwoDigits(yy);
            }).ToArray();
        return valid;
    }

    /// <summary>
    /// The file's example rule: consecutive valid years (P[i−1], P[i]) give the start year CC + P[i−1]
    /// and the label P[i] − 1, which differs from the start YY only across a gap of invalid years.
    /// The last pair of each century is left out, as in the published script; the released test split
    /// has none of those cells either way.
    /// </summary>
    private static List<(int Century, int StartYY, int Digits)> Cells(SortedDictionary<int, int[]> valid)
    {
        var cells = new List<(int, int, int)>();
        foreach (var (cc, p) in valid)
            for (int i = 1; i < p.Length - 1; i++)
                cells.Add((cc, p[i - 1], p[i] - 1));
        return cells;
    }

    private sealed class Generator(ITokenizer tokenizer, string template, SortedDictionary<int, int[]> valid, Random rng)
    {
        public TaskExample Build(string noun, int century, int startYY, int digits)
        {
            string prompt = Prompt(noun, century, startYY);
            var clean = tokenizer.Encode(prompt).ToArray();
            int last = clean.Length - 1;
            return new TaskExample
            {
                Clean = clean,
                Corrupted = Corrupt(noun, clean.Length, prompt),
                LossPositions = [last],
                MetricPosition = last,
                Label = digits,
                Text = prompt,
            };
        }

        /// <summary>
        /// A random century and YY in 01..98 with the clean token count, where the century has a valid YY
        /// above the new one (so the corrupted prompt still admits a later year); the corrupted start year
        /// itself need not be valid.
        /// </summary>
        private int[] Corrupt(string noun, int length, string clean)
        {
            for (int draw = 0; draw < MaxCorruptionDraws; draw++)
            {
                int cc = rng.Next(FirstCentury, LastCentury + 1);
                int yy = rng.Next(1, 99);
                if (!valid[cc].Any(v => v > yy)) continue;
                var tokens = tokenizer.Encode(Prompt(noun, cc, yy));
                if (tokens.Count == length) return tokens.ToArray();
            }
            throw new TaskDataException($"task {Name}: no corruption of \"{clean}\" with {length} tokens in {MaxCorruptionDraws} draws");
        }

        private string Prompt(string noun, int century, int yy) => template
            .Replace("{noun}", noun)
            .Replace("{start}", $"{century}{TwoDigits(yy)}")
            .Replace("{end_century}", century.ToString(CultureInfo.InvariantCulture));
    }

    private static string TwoDigits(int yy) => yy.ToString("00", CultureInfo.InvariantCulture);

    private static int ParseYY(string yy) => int.Parse(yy, CultureInfo.InvariantCulture);
}
