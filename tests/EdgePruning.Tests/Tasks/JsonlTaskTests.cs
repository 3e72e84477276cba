using System.Text.Json;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

public sealed class JsonlTaskTests : IDisposable
{
    private static readonly Gpt2Tokenizer Gpt2 = Gpt2Tokenizer.R50k();
    private readonly string _dir = Directory.CreateTempSubdirectory("jsonl-task-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string Line(object o) => JsonSerializer.Serialize(o);

    private static string IoiLine(string io, string s, string? split = null) => Line(new Dictionary<string, object?>
    {
        ["clean"] = $"When {io} and {s} went to the store, {s} gave a drink to",
        ["corrupted"] = "When Alice and Bob went to the store, Carl gave a drink to",
        ["target"] = " " + io,
        ["distractor"] = " " + s,
        ["split"] = split,
    });

    [Fact]
    public void TargetLines_ReadTheLastPosition_AndAnswerWithFirstTokens()
    {
        var path = Write("ioi-like.jsonl", Enumerable.Range(0, 10).Select(_ => IoiLine("Mary", "John")).ToArray());
        var task = JsonlTask.Load(path, Gpt2);
        Assert.Equal("ioi-like", task.Name);
        TaskAssertions.SizesAre(task, 8, 1, 1);
        TaskAssertions.WellFormed(task);
        foreach (var ex in TaskAssertions.All(task))
        {
            Assert.Equal(ex.Clean.Length - 1, ex.MetricPosition);
            Assert.Equal([ex.Clean.Length - 1], ex.LossPositions);
            Assert.Equal(Gpt2.Encode(" Mary")[0], ex.Targets.Single());
            Assert.Equal(Gpt2.Encode(" John")[0], ex.Distractors.Single());
            Assert.NotEqual(Gpt2.BosId, ex.Clean[0]);
        }
        Assert.Equal(50256, task.PadToken);
    }

    [Fact]
    public void SplitField_PlacesLines_AndTheRestSplit80_10_10()
    {
        var lines = Enumerable.Range(0, 20).Select(_ => IoiLine("Mary", "John"))
            .Append(IoiLine("Anna", "Peter", "test")).Append(IoiLine("Anna", "Peter", "validation")).ToArray();
        var task = JsonlTask.Load(Write("placed.jsonl", lines), Gpt2);
        TaskAssertions.SizesAre(task, 16, 3, 3);
        int anna = Gpt2.Encode(" Anna")[0];
        Assert.Single(task.Test, e => e.Targets[0] == anna);
        Assert.Single(task.Validation, e => e.Targets[0] == anna);
        Assert.DoesNotContain(task.Train, e => e.Targets[0] == anna);
    }

    [Fact]
    public void LabelPosition_NamesTheAnswerToken_FromTheEndWhenNegative()
    {
        var path = Write("capitals.jsonl", Line(new { clean = "The capital of France is Paris", corrupted = "The capital of Italy is Rome", label_position = -1 }));
        var ex = JsonlTask.Load(path, Gpt2).Train.Single();
        Assert.Equal(ex.Clean.Length - 2, ex.MetricPosition);
        Assert.Equal([ex.Clean.Length - 2], ex.LossPositions);
        Assert.Equal(Gpt2.Encode(" Paris").Single(), ex.Targets.Single());
        Assert.Equal(Gpt2.Encode(" Rome").Single(), ex.Distractors.Single());
    }

    [Fact]
    public void SameSeed_SameSplit_OtherSeed_OtherSplit()
    {
        var names = new[] { "Mary", "Anna", "Lucy", "Kate", "Jane", "Emma", "Rose", "Ruth", "Sara", "Beth" };
        var path = Write("seeded.jsonl", names.Select(n => IoiLine(n, "John")).ToArray());
        var a = JsonlTask.Load(path, Gpt2, seed: 1);
        TaskAssertions.SameData(a, JsonlTask.Load(path, Gpt2, seed: 1));
        Assert.True(TaskAssertions.DifferentData(a, JsonlTask.Load(path, Gpt2, seed: 2)));
    }

    public static TheoryData<string, string> BadLines => new()
    {
        { "{\"clean\": \"a b\", \"corrupted\": ", "not valid JSON" },
        { "[1, 2]", "expected a JSON object" },
        { Line(new { corrupted = "x", target = " a", distractor = " b" }), "missing field \"clean\"" },
        { Line(new { clean = "x", target = " a", distractor = " b" }), "missing field \"corrupted\"" },
        { Line(new { clean = "x", corrupted = "y", target = " a" }), "missing field \"distractor\"" },
        { Line(new { clean = "x", corrupted = "y" }), "give either \"target\" and \"distractor\" or \"label_position\"" },
        { Line(new { clean = "x", corrupted = "y", target = " a", distractor = " b", label_position = 1 }), "not both" },
        { Line(new { clean = 5, corrupted = "y", target = " a", distractor = " b" }), "\"clean\" must be a string" },
        { Line(new { clean = "x y", corrupted = "y", target = " a", distractor = " b" }), "clean has 2 tokens but corrupted has 1" },
        { Line(new { clean = "x", corrupted = "y", target = "", distractor = " b" }), "\"target\" \"\" encodes to no tokens" },
        { Line(new { clean = "", corrupted = "", target = " a", distractor = " b" }), "\"clean\" encodes to no tokens" },
        { Line(new { clean = "x", corrupted = "y", target = " a", distractor = " a" }), "begin with the same token" },
        { Line(new { clean = "x", corrupted = "y", target = " a", distractor = " b", split = "dev" }), "\"split\" is \"dev\"" },
        { Line(new { clean = "x y", corrupted = "x z", label_position = 2 }), "\"label_position\" 2 is outside the 2 clean tokens" },
        { Line(new { clean = "x y", corrupted = "x z", label_position = 0 }), "\"label_position\" 0 is outside" },
        { Line(new { clean = "x y", corrupted = "x z", label_position = 1.5 }), "\"label_position\" must be an integer" },
        // An answer of two tokens would be cut to its first one: refused instead.
        { Line(new { clean = "When Mary and John went to the store, John gave a drink to", corrupted = "When Alice and Bob went to the store, Carl gave a drink to", target = " Mary Ann", distractor = " John" }), "\"target\" \" Mary Ann\" is 2 tokens" },
        { Line(new { clean = "When Mary and John went to the store, John gave a drink to", corrupted = "When Alice and Bob went to the store, Carl gave a drink to", target = " Mary", distractor = " Johnathan Smith" }), "\"distractor\" \" Johnathan Smith\" is" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void BadLine_NamesFileAndLine(string bad, string expected)
    {
        var path = Write("bad.jsonl", IoiLine("Mary", "John"), "", bad);
        var e = Assert.Throws<TaskDataException>(() => JsonlTask.Load(path, Gpt2));
        Assert.StartsWith($"{path}, line 3: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void CharacterOutsideTheVocabulary_NamesFileLineAndCharacter()
    {
        string vocab = Path.Combine(_dir, "vocab.json");
        File.WriteAllText(vocab, JsonSerializer.Serialize(new { stoi = "abc xyz".Select((c, i) => (c, i)).ToDictionary(p => p.c.ToString(), p => p.i) }));
        var chars = CharTokenizer.Load(vocab);
        var path = Write("chars.jsonl",
            Line(new { clean = "abc", corrupted = "xyz", label_position = -1 }),
            Line(new { clean = "abc", corrupted = "xyq", label_position = -1 }));
        var e = Assert.Throws<TaskDataException>(() => JsonlTask.Load(path, chars));
        Assert.StartsWith($"{path}, line 2: \"corrupted\": ", e.Message);
        Assert.Contains("'q'", e.Message);
    }

    [Fact]
    public void EmptyOrMissingFile_IsAClearError()
    {
        Assert.Contains("no examples", Assert.Throws<TaskDataException>(() => JsonlTask.Load(Write("empty.jsonl", "", " "), Gpt2)).Message);
        Assert.Contains("not found", Assert.Throws<TaskDataException>(() => JsonlTask.Load(Path.Combine(_dir, "absent.jsonl"), Gpt2)).Message);
    }

    [SharedFact]
    public void Llama2cTokenizer_GetsBos_AndTheInContextPronounToken()
    {
        var tok = Llama2cTokenizer.Load(SharedData.Model("stories260K", "tok512.bin"));
        var path = Write("stories.jsonl", Line(new
        {
            clean = "Once upon a time, there was a little girl named Lily. One day, when",
            corrupted = "Once upon a time, there was a little boy named Tim. One day, when",
            target = " she",
            distractor = " he",
        }));
        var ex = JsonlTask.Load(path, tok).Train.Single();
        Assert.Equal(Llama2cTokenizer.Bos, ex.Clean[0]);
        Assert.Equal(358, ex.Targets.Single());
        Assert.Equal(281, ex.Distractors.Single());
    }
}
