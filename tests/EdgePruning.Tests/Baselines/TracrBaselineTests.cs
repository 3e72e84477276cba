using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Tests.Models;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Baselines;

/// <summary>
/// The baselines on the real compiled Tracr weights under zero ablation (the paper's setting), each asked
/// for a circuit of the ground truth's size. ACDC recovers both ground truths, as the ACDC paper reports
/// under zero ablation. The attribution methods are first-order estimates and are checked for what they
/// are measured to do here; where they miss, the test pins which edges they get wrong.
/// </summary>
public class TracrBaselineTests(ITestOutputHelper output)
{
    private static (PruningJob Job, TaskBatches Batches, string[] Truth) Setup(string program)
    {
        var job = PruningJob.Create(SharedData.Model("tracr", program + ".safetensors"), "tracr", CpuKernels.Instance, o => o);
        return (job, new TaskBatches(job.Pruner, job.Task.Test, 64), EdgeGraphTests.GroundTruth(program));
    }

    private CircuitComparison Compare(PruningJob job, bool[] kept, string[] truth, string method)
    {
        var names = Enumerable.Range(0, kept.Length).Where(i => kept[i]).Select(i => job.Masked.Layout.EdgeName(i)).ToArray();
        var c = CircuitComparison.Compare(names, truth);
        output.WriteLine($"{method}: {names.Length} edges, IoU {c.IoU:F2}; missing: {string.Join(", ", c.Missing)}; extra: {string.Join(", ", c.Extra)}");
        return c;
    }

    [SharedTheory]
    [InlineData("reverse")]
    [InlineData("xproportion")]
    public void Acdc_UnderZeroAblation_RecoversTheGroundTruth(string program)
    {
        var (job, batches, truth) = Setup(program);
        var result = Acdc.Run(new CircuitScorer(batches), threshold: 1e-3);
        var c = Compare(job, result.Kept, truth, "acdc");
        Assert.True(c.Identical, $"missing: {string.Join(", ", c.Missing)}; extra: {string.Join(", ", c.Extra)}");
        Assert.True(result.Kl < 1e-3, $"KL {result.Kl}");
    }

    [SharedFact]
    public void AttributionMethods_RecoverXProportion()
    {
        var (job, batches, truth) = Setup("xproportion");
        foreach (var (name, scores) in new[] { ("eap", Eap.Scores(batches)), ("eap-ig", EapIg.Scores(batches)) })
        {
            var c = Compare(job, AttributionCircuit.TopN(job.Masked.Layout, scores, truth.Length), truth, name);
            Assert.True(c.Identical, $"{name}: missing: {string.Join(", ", c.Missing)}; extra: {string.Join(", ", c.Extra)}");
        }
    }

    /// <summary>
    /// On reverse the linear estimates rank the a0.h0 branch into m0 below the top 11, although removing either
    /// of its edges changes the argmax in at least 24 of 27 sequences, and rank a3.h0's query and key inputs
    /// from the token embedding into it instead (edges the ground truth leaves out because removing them does
    /// not change the scored outputs). Recorded: 9 of the 11 ground-truth edges at size 11, for EAP and
    /// EAP-IG alike, where ACDC and Edge Pruning find all 11.
    /// </summary>
    [SharedFact]
    public void AttributionMethods_OnReverse_MissTheA0Branch()
    {
        var (job, batches, truth) = Setup("reverse");
        foreach (var (name, scores) in new[] { ("eap", Eap.Scores(batches)), ("eap-ig", EapIg.Scores(batches)) })
        {
            var c = Compare(job, AttributionCircuit.TopN(job.Masked.Layout, scores, truth.Length), truth, name);
            Assert.Equal(["a0.h0->m0", "tok_embeds->a0.h0<v>"], c.Missing.Order(StringComparer.Ordinal));
            Assert.Equal(["tok_embeds->a3.h0<k>", "tok_embeds->a3.h0<q>"], c.Extra.Order(StringComparer.Ordinal));
        }
    }
}
