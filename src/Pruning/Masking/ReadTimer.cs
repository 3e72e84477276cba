using System.Diagnostics;
using EdgePruning.Kernels;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// Times every masked read of the passes it is attached to (<see cref="EdgeMaskedModel.ReadTimer"/>), forward and
/// backward apart, fused or unfused alike: the backend is synchronized before and after each read, so the time is
/// the read's own work on the device. The synchronizations cost time of their own: attach it to a step that is
/// measured for this, not to the timed steps.
/// </summary>
public sealed class ReadTimer(IKernelBackend backend)
{
    private readonly Stopwatch _clock = new();

    public ReadTraffic Forward { get; private set; } = ReadTraffic.None;
    public ReadTraffic Backward { get; private set; } = ReadTraffic.None;

    /// <summary>Both directions together.</summary>
    public ReadTraffic Total => new(Forward.Calls + Backward.Calls, Forward.Bytes + Backward.Bytes, Forward.Seconds + Backward.Seconds);

    internal void Time(bool backward, long bytes, Action read)
    {
        backend.Synchronize();
        _clock.Restart();
        read();
        backend.Synchronize();
        double seconds = _clock.Elapsed.TotalSeconds;
        if (backward) Backward = Backward.Add(bytes, seconds);
        else Forward = Forward.Add(bytes, seconds);
    }
}
