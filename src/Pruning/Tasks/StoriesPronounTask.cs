using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// Gendered pronoun in the TinyStories register, for the small llama2.c story models ("Once upon a time,
/// there was a little girl named Lily. One day, when" → " she"). The corruption swaps the child's name,
/// "girl"/"boy" and any pronouns before the answer, so it flips the answer; the swapped name is one of the
/// other gender that keeps the token count. Sequences start with BOS, as the story models were trained.
/// The clean sequence is prompt + pronoun; the KL and the metric read the last prompt position.
/// </summary>
public static class StoriesPronounTask
{
    public const string Name = "gp-stories";
    public static readonly TaskSplitSizes DefaultSizes = new(64, 32, 64);

    /// <summary>
    /// Each template ends where the story continues with the child's pronoun. Placeholders: {name},
    /// {kind} (girl/boy), {He} (She/He). Kept are the templates on which stories260K puts the right
    /// pronoun first (argmax) for at least nine names in ten; endings such as "One day," leave the
    /// model free to go on with the name instead.
    /// </summary>
    public static readonly string[] Templates =
    [
        "One day, a little {kind} named {name} went to the park. When",
        "Once upon a time, there was a little {kind} named {name}. One day, when",
        "Once upon a time, there was a {kind} named {name}. {He} was very happy because",
        "Once upon a time, a little {kind} named {name} lived in a small house. {name} was sad because",
        "Once upon a time, there was a little {kind} named {name}. {He} loved to play outside. Every day,",
        "Once upon a time, a {kind} named {name} had a big red ball. {name} played with it every day because",
        "There was a little {kind} named {name}. {name} wanted to go outside, but",
        "A little {kind} named {name} found a shiny rock. {name} was so happy that",
        "One day, {name} the little {kind} saw a big dog. At first,",
        "Once upon a time, there was a little {kind} named {name}. {name} was very tired, so",
    ];

    public static readonly string[] GirlNames =
        ["Lily", "Sue", "Mia", "Anna", "Lucy", "Sara", "Amy", "Jane", "Sally", "Kate", "Tina", "Jill", "Zoe", "Emma",
         "Molly", "Ann", "Pam", "Jen", "Liz", "Mary", "Sophie", "Ella", "Lisa", "Rose", "Daisy", "Sarah", "Susie", "Kitty"];

    public static readonly string[] BoyNames =
        ["Tim", "Timmy", "Tom", "Ben", "Max", "Sam", "Jack", "Bob", "Mike", "Mark", "Joe", "Leo", "Billy", "Ted",
         "Dan", "Ken", "John", "Jim", "Bill", "Fred", "Tony", "Jake", "Paul", "Tommy", "Bobby", "Johnny", "Sammy", "Danny"];

    private const string He = " he", She = " she";

    public static TaskDataset Create(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0)
    {
        sizes ??= DefaultSizes;
        sizes.Validate(Name);
        var rng = new Random(seed);
        var examples = new List<TaskExample>();
        foreach (var template in Templates)
        {
            var girls = GirlNames.Select(n => Encoded.Of(tokenizer, template, n, female: true)).ToArray();
            var boys = BoyNames.Select(n => Encoded.Of(tokenizer, template, n, female: false)).ToArray();
            foreach (var (clean, others) in girls.Select(g => (g, boys)).Concat(boys.Select(b => (b, girls))))
            {
                // Only names of the other gender whose story has the same token count can stand in;
                // a name without one is left out of this template.
                var partners = others.Where(o => o.Tokens.Length == clean.Tokens.Length && o.PromptLength == clean.PromptLength).ToArray();
                if (partners.Length == 0) continue;
                var corrupted = partners[rng.Next(partners.Length)];
                examples.Add(new TaskExample
                {
                    Clean = clean.Tokens,
                    Corrupted = corrupted.Tokens,
                    LossPositions = [clean.PromptLength - 1],
                    MetricPosition = clean.PromptLength - 1,
                    Targets = [clean.Tokens[clean.PromptLength]],
                    Distractors = [clean.OtherPronoun],
                    Text = clean.Text,
                });
            }
        }
        int total = sizes.Train + sizes.Validation + sizes.Test;
        if (total > examples.Count)
            throw new TaskDataException($"task {Name}: {total} examples asked for, but the templates and names give only {examples.Count} with {tokenizer.Name}");
        var order = examples.ToArray();
        rng.Shuffle(order);
        return new TaskDataset
        {
            Name = Name,
            Train = order[..sizes.Train],
            Validation = order[sizes.Train..(sizes.Train + sizes.Validation)],
            Test = order[(sizes.Train + sizes.Validation)..total],
            Loss = TaskLoss.KlFullVocabulary,
            Metric = TaskMetric.LogitDifference,
            PadToken = tokenizer.EosId ?? 0,
        };
    }

    /// <summary>The story with its pronoun, for one template and name, and the other pronoun's token in its place.</summary>
    private sealed record Encoded(string Text, int[] Tokens, int PromptLength, int OtherPronoun)
    {
        public static Encoded Of(ITokenizer tokenizer, string template, string name, bool female)
        {
            string prompt = template
                .Replace("{name}", name)
                .Replace("{kind}", female ? "girl" : "boy")
                .Replace("{He}", female ? "She" : "He");
            string pronoun = female ? She : He;
            var (tokens, promptLength) = PromptEncoding.Encode(tokenizer, prompt, pronoun, addBos: true, StoriesPronounTask.Name);
            var (other, _) = PromptEncoding.Encode(tokenizer, prompt, female ? He : She, addBos: true, StoriesPronounTask.Name);
            return new Encoded(prompt + pronoun, tokens, promptLength, other[promptLength]);
        }
    }
}
