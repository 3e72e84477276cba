using System.Diagnostics;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Pruning.Planning;

/// <summary>
/// The memory a run actually took on the CPU, to set beside its <see cref="MemoryPlan"/>: the step arena's
/// high-water mark (the plan's arena-held micro-batch terms, measured) and the process's peak resident set
/// (everything: weights, arena blocks, tensors outside the arena, the runtime itself).
/// </summary>
/// <param name="ArenaHighWaterBytes">The most bytes the step arena handed out at once.</param>
/// <param name="ArenaCapacityBytes">Bytes the arena held in blocks.</param>
/// <param name="ProcessPeakWorkingSetBytes">The process's peak resident memory so far.</param>
public sealed record MeasuredPeak(long ArenaHighWaterBytes, long ArenaCapacityBytes, long ProcessPeakWorkingSetBytes)
{
    /// <summary>On a GPU: the most device bytes the memory pool had handed out at once (weights included), else null.</summary>
    public long? DevicePeakBytes { get; init; }

    public static MeasuredPeak Of(EdgePruner pruner)
    {
        using var process = Process.GetCurrentProcess();
        long? device = pruner.Model.Backend is Kernels.Cuda.CudaKernelBackend cuda ? cuda.Context.Pool.PeakLiveBytes + (pruner.Graph?.DeviceBytes ?? 0) : null;
        return new MeasuredPeak(pruner.ScratchHighWaterBytes, pruner.ScratchCapacityBytes, process.PeakWorkingSet64) { DevicePeakBytes = device };
    }

    public string Summary() =>
        (DevicePeakBytes is { } device ? $"device peak {ByteCount.Format(device)}, " : "") + $"arena peak {ByteCount.Format(ArenaHighWaterBytes)} (in blocks of {ByteCount.Format(ArenaCapacityBytes)}), process peak working set {ByteCount.Format(ProcessPeakWorkingSetBytes)}";

    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["arena_high_water_bytes"] = ArenaHighWaterBytes,
        ["arena_capacity_bytes"] = ArenaCapacityBytes,
        ["process_peak_working_set_bytes"] = ProcessPeakWorkingSetBytes,
        ["device_peak_bytes"] = DevicePeakBytes,
    };
}
