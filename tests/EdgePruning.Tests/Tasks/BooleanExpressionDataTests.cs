using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

/// <summary>
/// The regenerated Boolean Expressions data against what boolean_expressions.json records of the released
/// dataset: split sizes, length/depth/answer counts, the first test rows, and the corruption's effect.
/// </summary>
public class BooleanExpressionDataTests
{
    private static readonly JsonElement File = TaskDataFiles.Read("boolean_expressions.json");
    private static BooleanExpressionData.Splits Data => BooleanExpressionData.Released;
    private static IEnumerable<BooleanExpression> All => Data.Train.Concat(Data.Validation).Concat(Data.Test);

    [Fact]
    public void Splits_HaveTheReleasedSizes()
    {
        var sizes = File.At("splits", "released_sizes");
        Assert.Equal(sizes.GetProperty("train").GetInt32(), Data.Train.Count);
        Assert.Equal(sizes.GetProperty("validation").GetInt32(), Data.Validation.Count);
        Assert.Equal(sizes.GetProperty("test").GetInt32(), Data.Test.Count);
        Assert.Equal(All.Count(), All.Select(e => e.Input).Distinct().Count());
    }

    [Theory]
    [InlineData("length_counts_all_splits")]
    [InlineData("depth_counts_all_splits")]
    [InlineData("target_counts_all_splits")]
    public void Counts_AreTheReleasedDatasCounts(string statistic)
    {
        var expected = File.At("splits", "statistics_of_released_data", statistic).EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Func<BooleanExpression, string> key = statistic switch
        {
            "length_counts_all_splits" => e => e.Length.ToString(),
            "depth_counts_all_splits" => e => e.Depth.ToString(),
            _ => e => e.TargetText,
        };
        var actual = All.GroupBy(key).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.OrderBy(p => p.Key), actual.OrderBy(p => p.Key));
    }

    [Fact]
    public void FirstTestRows_AreTheReleasedOnes_WithTheirCorruption()
    {
        var examples = File.At("examples_from_released_test").EnumerateArray().ToArray();
        Assert.NotEmpty(examples);
        for (int i = 0; i < examples.Length; i++)
        {
            var row = Data.Test[i];
            Assert.Equal(examples[i].GetProperty("input").GetString(), row.Input);
            Assert.Equal(examples[i].GetProperty("target").GetString(), row.TargetText);
            Assert.Equal(examples[i].GetProperty("length").GetInt32(), row.Length);
            Assert.Equal(examples[i].GetProperty("depth").GetInt32(), row.Depth);
            Assert.Equal(examples[i].GetProperty("corr_input").GetString(), row.CorruptedInput);
        }
    }

    [Fact]
    public void EveryTarget_IsTheExpressionsValue()
    {
        foreach (var e in All) Assert.Equal(e.Target, BooleanExpressionEvaluator.Evaluate(e.Input));
    }

    [Fact]
    public void Corruption_FlipsEveryLiteral_AndKeepsEverythingElse()
    {
        foreach (var e in All)
        {
            var clean = e.Input.Split(' ');
            var corrupted = e.CorruptedInput.Split(' ');
            Assert.Equal(clean.Length, corrupted.Length);
            int literals = 0;
            for (int i = 0; i < clean.Length; i++)
            {
                if (clean[i] is "True" or "False")
                {
                    literals++;
                    Assert.Equal(clean[i] == "True" ? "False" : "True", corrupted[i]);
                }
                else Assert.Equal(clean[i], corrupted[i]);
            }
            Assert.Equal(e.Length, literals);
        }
    }

    /// <summary>
    /// Flipping every literal of f gives ¬f with and/or swapped (De Morgan), so it flips the answer only in some
    /// rows: as many as boolean_expressions.json counts for the released corr_input.
    /// </summary>
    [Fact]
    public void Corruption_FlipsTheAnswerExactlyWhereDeMorganSays_AsOftenAsInTheReleasedData()
    {
        int flipped = 0;
        foreach (var e in All)
        {
            bool corrupted = BooleanExpressionEvaluator.Evaluate(e.CorruptedInput);
            string dual = Regex.Replace(e.Input, @"\b(and|or)\b", m => m.Value == "and" ? "or" : "and");
            Assert.Equal(!BooleanExpressionEvaluator.Evaluate(dual), corrupted);
            if (corrupted != e.Target) flipped++;
        }
        var quoted = Regex.Match(File.String("corruption", "stored_fields"), @"in (\d+) of ([\d,]+) rows");
        Assert.True(quoted.Success, "boolean_expressions.json no longer quotes the count");
        Assert.Equal(int.Parse(quoted.Groups[2].Value.Replace(",", "")), All.Count());
        Assert.Equal(int.Parse(quoted.Groups[1].Value), flipped);
        Assert.InRange(flipped, 1, All.Count() - 1);
    }

    [Theory]
    [InlineData("not True or True", true)]
    [InlineData("True or False and False", true)]
    [InlineData("not ( True and False ) and False", false)]
    [InlineData("not not False is", false)]
    [InlineData("( True or ( not True ) ) and False", false)]
    public void Evaluator_UsesPythonsPrecedence(string text, bool value) =>
        Assert.Equal(value, BooleanExpressionEvaluator.Evaluate(text));

    [Theory]
    [InlineData("( True and False")]
    [InlineData("True False")]
    [InlineData("Maybe")]
    [InlineData("not")]
    public void Evaluator_RefusesMalformedText(string text)
    {
        var e = Assert.Throws<TaskDataException>(() => BooleanExpressionEvaluator.Evaluate(text));
        Assert.Contains(text, e.Message);
    }
}
