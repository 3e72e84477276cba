using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>Builds a task's examples for a tokenizer and seed; null sizes mean the task's defaults.</summary>
public delegate TaskDataset TaskDatasetFactory(ITokenizer tokenizer, TaskSplitSizes? sizes, int seed);

/// <summary>
/// Tasks by name: the built-in generators, a user's <c>.jsonl</c> file by path, and whatever further
/// factories the caller adds (the Tracr tasks, which need their compiled model's vocabulary).
/// </summary>
public static class TaskRegistry
{
    public static readonly IReadOnlyDictionary<string, TaskDatasetFactory> BuiltIn = new Dictionary<string, TaskDatasetFactory>(StringComparer.OrdinalIgnoreCase)
    {
        [IoiTask.Name] = IoiTask.Create,
        [GreaterThanTask.Name] = GreaterThanTask.Create,
        [GenderedPronounTask.Name] = GenderedPronounTask.Create,
        [StoriesPronounTask.Name] = StoriesPronounTask.Create,
        [BooleanExpressionsTask.InstructName] = BooleanExpressionsTask.Instruct,
        [BooleanExpressionsTask.FewShotName] = BooleanExpressionsTask.FewShot,
        [BooleanExpressionsTask.ZeroShotName] = BooleanExpressionsTask.ZeroShot,
    };

    /// <summary>The names <see cref="Create"/> accepts besides a .jsonl path.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyDictionary<string, TaskDatasetFactory>? extra = null) =>
        BuiltIn.Keys.Concat(extra?.Keys ?? []).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <param name="name">A task name (see <see cref="Names"/>) or the path of a .jsonl task file.</param>
    /// <param name="extra">Further tasks by name; they take precedence over built-in ones of the same name.</param>
    public static TaskDataset Create(string name, ITokenizer tokenizer, int seed = 0, TaskSplitSizes? sizes = null,
        IReadOnlyDictionary<string, TaskDatasetFactory>? extra = null)
    {
        if (extra is not null)
            foreach (var (key, factory) in extra)
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return factory(tokenizer, sizes, seed);
        if (BuiltIn.TryGetValue(name, out var builtIn)) return builtIn(tokenizer, sizes, seed);
        if (name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            if (sizes is not null)
                throw new TaskDataException($"{name}: a .jsonl task takes its splits from the file (\"split\" fields, else 80/10/10); split sizes cannot be set");
            return JsonlTask.Load(name, tokenizer, seed);
        }
        throw new TaskDataException($"unknown task \"{name}\"; valid tasks: {string.Join(", ", Names(extra))}, or the path of a .jsonl file");
    }
}
