using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Recording;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// Work captured on a <see cref="RecordingBackend"/> over the host: nothing runs at capture, a launch runs the
/// work on the inputs of the last feed, and a feed refuses work that is not the captured work.
/// </summary>
public class RecordedWorkTests
{
    private static readonly Tensor Table = Tensor.FromData([1, 2, 3, 4, 5, 6], 3, 2);

    /// <summary>Embeds ids from a host array, scales them by <paramref name="alpha"/> into <paramref name="y"/>, via a copy from the host.</summary>
    private static Action Work(RecordingBackend backend, int[] ids, float alpha, float offset, Tensor y) => () =>
    {
        using var scope = backend.OpenScope();
        var table = scope.Empty(DType.F32, 3, 2);
        backend.CopyFromHost(Tensor.FromData([.. Table.Span.ToArray().Select(v => v + offset)], 3, 2), table);
        var rows = scope.Empty(DType.F32, ids.Length, 2);
        backend.Kernels.Embedding(table, ids, rows);
        backend.Gradients.Scale(rows, alpha, y);
    };

    [Fact]
    public void Capture_RunsNothing_Launch_RunsIt_OnTheFedInputs()
    {
        var backend = new RecordingBackend(new CpuKernelBackend()) { IsRecording = false };
        var y = backend.Empty(DType.F32, 2, 2);
        y.Span.Fill(-7);
        using var work = backend.Capture(Work(backend, [0, 2], 2f, 0f, y));
        Assert.All(y.Span.ToArray(), v => Assert.Equal(-7f, v));
        Assert.Equal(3 + 2, work.Operations); // a copy, an embedding, a scale; two tensors
        work.Launch();
        Assert.Equal([2, 4, 10, 12], y.Span.ToArray());

        Assert.True(work.Feed(Work(backend, [1, 1], 2f, 10f, y), out var difference), difference);
        Assert.Equal([2, 4, 10, 12], y.Span.ToArray());
        work.Launch();
        Assert.Equal([26, 28, 26, 28], y.Span.ToArray());
        Assert.False(backend.Recorder.Graph.Count > 0, "a recorder that was off keeps nothing");
    }

    [Fact]
    public void Feed_RefusesAnotherScalar_AnotherShape_AndAnotherOutput()
    {
        var backend = new RecordingBackend(new CpuKernelBackend());
        var y = backend.Empty(DType.F32, 2, 2);
        using var work = backend.Capture(Work(backend, [0, 2], 2f, 0f, y));

        Assert.False(work.Feed(Work(backend, [0, 2], 3f, 0f, y), out var scalar));
        Assert.Contains("alpha=3", scalar);
        Assert.False(work.Feed(Work(backend, [0, 2, 1], 2f, 0f, backend.Empty(DType.F32, 3, 2)), out var shape));
        Assert.Contains("allocation 1", shape);
        Assert.False(work.Feed(Work(backend, [0, 2], 2f, 0f, backend.Empty(DType.F32, 2, 2)), out var output));
        Assert.Contains("not the captured", output);
    }

    [Fact]
    public void WorkThatReadsBack_RunsDirectly_AndSaysWhy()
    {
        var backend = new RecordingBackend(new CpuKernelBackend());
        var y = backend.Empty(DType.F32, 2, 2);
        float read = 0;
        var graph = new StepGraph(backend);
        var embed = Work(backend, [0, 2], 2f, 0f, y);
        void ReadingWork()
        {
            embed();
            read = backend.Download(y).Span[0];
        }
        graph.Run(ReadingWork);
        graph.Run(ReadingWork);
        Assert.Equal(2f, read);
        Assert.Equal(0, graph.Captures);
        Assert.Contains("reads a tensor", graph.Unavailable);
    }
}
