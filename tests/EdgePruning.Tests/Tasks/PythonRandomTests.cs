using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

/// <summary>
/// PythonRandom against CPython 3.11's random module. The expected values were printed by CPython, e.g.
/// <c>r = random.Random(42); [r.getrandbits(32) for _ in range(5)]</c>.
/// </summary>
public class PythonRandomTests
{
    [Fact]
    public void Seed42_GivesCPythonsWords()
    {
        var r = new PythonRandom(42);
        Assert.Equal([2746317213u, 478163327u, 107420369u, 3184935163u, 1181241943u], Enumerable.Range(0, 5).Select(_ => r.GetRandBits(32)));
    }

    [Fact]
    public void RandIntAndChoice_DrawAsCPythonDoes()
    {
        var r = new PythonRandom(42);
        Assert.Equal([6, 1, 1, 6, 3, 2, 2, 2, 6, 1], Enumerable.Range(0, 10).Select(_ => r.RandInt(1, 6)));
        string[] ops = ["or", "and", "not"];
        Assert.Equal(["not", "not", "not", "or", "not", "and", "or", "or", "or", "or"], Enumerable.Range(0, 10).Select(_ => r.Choice(ops)));
    }

    [Fact]
    public void Shuffle_PermutesAsCPythonDoes()
    {
        var r = new PythonRandom(7);
        var x = Enumerable.Range(0, 10).ToList();
        r.Shuffle(x);
        Assert.Equal([8, 3, 1, 4, 7, 0, 9, 6, 2, 5], x);
    }

    [Fact]
    public void RandIntOfOneValue_StillDrawsAWord()
    {
        // CPython's _randbelow(1) draws getrandbits(1): three randint(0, 0) move the stream by three words.
        var r = new PythonRandom(0);
        for (int i = 0; i < 3; i++) Assert.Equal(0, r.RandInt(0, 0));
        Assert.Equal(1112038970u, r.GetRandBits(32));
    }
}
