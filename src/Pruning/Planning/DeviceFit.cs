using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Planning;

/// <summary>
/// Whether a run's memory plan fits the memory a device has free, checked before the weights go there; when it
/// does not, one line that says so and names the setting that fits (a micro-batch, recomputation, bf16).
/// </summary>
public static class DeviceFit
{
    /// <summary>Throws an <see cref="EdgePruningException"/> naming what fits when <paramref name="request"/>'s plan exceeds <paramref name="freeBytes"/>.</summary>
    public static void Require(MemoryPlanRequest request, long freeBytes, string device)
    {
        var plan = MemoryPlanner.Plan(request);
        if (plan.Fits(freeBytes)) return;
        throw new EdgePruningException($"the run does not fit {device}: its memory plan needs {ByteCount.Format(plan.TotalBytes)} and " +
            $"{ByteCount.Format(freeBytes)} is free; {Advice(request, freeBytes)}");
    }

    /// <summary>The setting nearest the request that fits, in words.</summary>
    public static string Advice(MemoryPlanRequest request, long freeBytes)
    {
        int micro = MemoryPlanner.LargestMicroBatch(request, freeBytes);
        if (micro > 0) return $"--micro-batch {micro} fits";
        if (request.Schedule != ActivationSchedule.RecomputePerLayer)
        {
            int recomputed = MemoryPlanner.LargestMicroBatch(request with { Schedule = ActivationSchedule.RecomputePerLayer }, freeBytes);
            if (recomputed > 0) return $"--recompute --micro-batch {recomputed} fits";
        }
        if (request.WeightDType == DType.F32)
        {
            var narrow = request with { WeightDType = DType.BF16, ActivationDType = DType.BF16, Schedule = ActivationSchedule.RecomputePerLayer };
            int bf16 = MemoryPlanner.LargestMicroBatch(narrow, freeBytes);
            if (bf16 > 0) return $"--dtype bf16 --recompute --micro-batch {bf16} fits";
        }
        return "not even one sequence at a time with --recompute fits: use a device with more memory";
    }
}
