using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning.Objective;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Objective;

/// <summary>
/// The batch KL as the reference reduces it: each example's per-position KL averaged (IOI) or summed
/// (Tracr reverse) over its positions, then the mean over the examples.
/// </summary>
public class TaskObjectiveTests
{
    private const int T = 4, V = 5;

    private static TaskExample Example(params int[] positions) => new()
    {
        Clean = new int[T], Corrupted = new int[T], LossPositions = positions, MetricPosition = positions[^1], Targets = [0], Distractors = [1],
    };

    private static TaskDataset Task(KlReduction reduction, TaskExample[] examples, TaskLoss loss = TaskLoss.KlFullVocabulary) => new()
    {
        Name = "t", Train = examples, Validation = examples, Test = examples, Reduction = reduction, Loss = loss,
    };

    private static (Tensor Full, Tensor Circuit) Logits(int batch, int seed)
    {
        var rng = new Random(seed);
        var full = Tensor.Zeros(batch, T, V);
        var circuit = Tensor.Zeros(batch, T, V);
        for (int i = 0; i < full.Count; i++) { full.Span[i] = (float)(rng.NextDouble() * 4 - 2); circuit.Span[i] = (float)(rng.NextDouble() * 4 - 2); }
        return (full, circuit);
    }

    /// <summary>KL of one row, in double, from the definition.</summary>
    private static double RowKl(Tensor full, Tensor circuit, int row)
    {
        var f = full.Span.Slice(row * V, V).ToArray().Select(v => (double)v).ToArray();
        var c = circuit.Span.Slice(row * V, V).ToArray().Select(v => (double)v).ToArray();
        double lf = Math.Log(f.Sum(Math.Exp)), lc = Math.Log(c.Sum(Math.Exp));
        return Enumerable.Range(0, V).Sum(j => Math.Exp(f[j] - lf) * ((f[j] - lf) - (c[j] - lc)));
    }

    [Theory]
    [InlineData(KlReduction.MeanPerExample)]
    [InlineData(KlReduction.SumPerExample)]
    public void Kl_ReducesPerExampleThenAveragesOverTheBatch(KlReduction reduction)
    {
        // Examples with 1, 3 and 2 loss positions: a mean over all 6 rows weighs them 1:3:2.
        var examples = new[] { Example(3), Example(1, 2, 3), Example(2, 3) };
        var task = Task(reduction, examples);
        var (full, circuit) = Logits(examples.Length, seed: 5);
        double expected = 0;
        for (int b = 0; b < examples.Length; b++)
        {
            var rows = examples[b].LossPositions.Select(p => RowKl(full, circuit, b * T + p)).ToArray();
            expected += (reduction == KlReduction.SumPerExample ? rows.Sum() : rows.Average()) / examples.Length;
        }
        var grad = Tensor.Zeros(examples.Length, T, V);
        double kl = TaskObjective.Kl(task, examples, full, circuit, grad);
        Assert.Equal(expected, kl, 5);

        // The gradient is the derivative of that KL: check one entry of each example by central differences.
        for (int b = 0; b < examples.Length; b++)
        {
            int rowStart = (b * T + examples[b].LossPositions[0]) * V;
            int i = rowStart + Enumerable.Range(0, V).MaxBy(j => Math.Abs(grad.Span[rowStart + j]));
            float keep = circuit.Span[i];
            const float h = 1e-2f;
            circuit.Span[i] = keep + h;
            double up = TaskObjective.Kl(task, examples, full, circuit, null);
            circuit.Span[i] = keep - h;
            double down = TaskObjective.Kl(task, examples, full, circuit, null);
            circuit.Span[i] = keep;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(numeric) > 1e-3, $"example {b}: numeric gradient {numeric} too small to tell");
            Assert.True(Math.Abs(numeric - grad.Span[i]) < 1e-2 * Math.Abs(numeric), $"example {b}: analytic {grad.Span[i]}, numeric {numeric}");
        }
    }

    [SharedFact]
    public void TracrReverse_SumsItsThreePositions()
    {
        var info = EdgePruning.Models.Loaders.ModelLoader.Load(SharedData.Model("tracr", "reverse.safetensors")).Tracr!;
        Assert.Equal(KlReduction.SumPerExample, TracrTasks.Reverse(info).Reduction);
    }

    [Fact]
    public void BatchKl_OfTheBackendRows_EqualsTheHostKl()
    {
        var examples = new[] { Example(3), Example(1, 2, 3), Example(2, 3), Example(0) };
        foreach (var (reduction, loss) in new[] { (KlReduction.MeanPerExample, TaskLoss.KlFullVocabulary),
            (KlReduction.SumPerExample, TaskLoss.KlFullVocabulary), (KlReduction.MeanPerExample, TaskLoss.KlAcrossSequence) })
        {
            var task = Task(reduction, examples, loss);
            var (full, circuit) = Logits(examples.Length, seed: 8);
            IKernelBackend backend = new CpuKernelBackend(CpuKernels.Instance);
            using var scope = backend.OpenScope();
            var rowKl = Tensor.Zeros(TaskObjective.LossRows(task, examples));
            var dHost = Tensor.Zeros(examples.Length, T, V);
            var dBackend = Tensor.Zeros(examples.Length, T, V);
            TaskObjective.KlOnBackend(backend, scope, task, examples, full, circuit, dBackend, 1.0, rowKl);
            double host = TaskObjective.Kl(task, examples, full, circuit, dHost);
            Assert.True(host > 1e-3, $"{loss}: the KL {host} is too small to tell");
            Assert.Equal(host, TaskObjective.BatchKl(task, examples, rowKl.Span), 5);
            for (int i = 0; i < dHost.Count; i++) Assert.Equal(dHost.Span[i], dBackend.Span[i], 5);
        }
    }
}
