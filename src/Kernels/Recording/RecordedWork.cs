using System.Diagnostics.CodeAnalysis;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// Work captured on a <see cref="RecordingBackend"/> whose inner backend has no graphs of its own (the
/// host): its launches and copies are recorded without running, and <see cref="Launch"/> replays them one by
/// one on the inner backend. It captures, checks and feeds as a CUDA graph does (the same allocations, the
/// same launches on the same tensors, new host inputs only), so work that runs right here is fit for a CUDA
/// graph; it saves no launch cost.
/// </summary>
internal sealed class RecordedWork : ICapturedWork
{
    private readonly RecordingBackend _backend;
    private readonly LaunchGraph _graph;
    private readonly CaptureAllocations _allocations;

    private RecordedWork(RecordingBackend backend, LaunchGraph graph, CaptureAllocations allocations)
    {
        _backend = backend;
        _graph = graph;
        _allocations = allocations;
    }

    public int Operations => _graph.Count + _allocations.Count;

    /// <summary>The tensors are the inner backend's; a replay holds no device memory of its own.</summary>
    public long DeviceBytes => 0;

    public static RecordedWork Capture(RecordingBackend backend, Action work)
    {
        var allocations = new CaptureAllocations(backend.Inner.OpenScope());
        var recorder = backend.Recorder;
        bool recording = recorder.IsRecording;
        var outer = recorder.Restart();
        recorder.IsRecording = true;
        recorder.Executes = false;
        backend.Allocations = allocations;
        LaunchGraph graph;
        try
        {
            work();
        }
        catch
        {
            allocations.Dispose();
            throw;
        }
        finally
        {
            backend.Allocations = null;
            recorder.Executes = true;
            recorder.IsRecording = recording;
            graph = recorder.Restart();
            // A recording that was under way keeps the captured launches, as it keeps those of work run directly.
            if (recording) foreach (var launch in graph.Launches) outer.Add(launch);
            recorder.Resume(outer);
        }
        return new RecordedWork(backend, graph, allocations);
    }

    public bool Feed(Action work, [NotNullWhen(false)] out string? difference)
    {
        var recorder = _backend.Recorder;
        bool recording = recorder.IsRecording;
        recorder.IsRecording = true;
        recorder.Executes = false;
        recorder.StartFeed(_graph);
        _allocations.StartFeed();
        _backend.Allocations = _allocations;
        int launches, allocations;
        try
        {
            work();
        }
        catch (CaptureMismatchException e)
        {
            difference = e.Message;
            return false;
        }
        finally
        {
            _backend.Allocations = null;
            allocations = _allocations.EndFeed();
            launches = recorder.EndFeed();
            recorder.Executes = true;
            recorder.IsRecording = recording;
        }
        difference = launches != _graph.Count ? $"{launches} launches here, {_graph.Count} in the captured work"
            : allocations != _allocations.Count ? $"{allocations} allocations here, {_allocations.Count} in the captured work"
            : null;
        return difference is null;
    }

    public void Launch() => _graph.Replay(_backend.Inner);

    public void Dispose() => _allocations.Dispose();
}
