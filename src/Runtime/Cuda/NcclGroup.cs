using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// ncclGroupStart … ncclGroupEnd: collectives called inside <see cref="Run"/> are checked at once but reach NCCL together,
/// in one group, when the calls are done, so that one host thread can drive several ranks (each rank's collective waits
/// for the others', which a thread issuing them one by one would never reach). A call refused before NCCL (a tensor on
/// the wrong GPU) leaves the whole group unissued, so no rank is left waiting for a peer that will not come; errors NCCL
/// itself reports surface when the group ends.
/// </summary>
public static class NcclGroup
{
    [ThreadStatic] private static List<Action>? _pending;

    /// <summary>Runs <paramref name="calls"/> as one group (a group inside a group joins the outer one).</summary>
    public static void Run(Action calls)
    {
        if (_pending is not null)
        {
            calls();
            return;
        }
        CudaLibraryResolver.Require(CudaLibraryResolver.Nccl);
        var pending = _pending = [];
        try
        {
            calls();
        }
        finally
        {
            _pending = null;
        }
        NcclCheck.Result(NcclApi.ncclGroupStart(), "ncclGroupStart");
        try
        {
            foreach (var issue in pending) issue();
        }
        catch
        {
            // NCCL has the failed call's error and tells the other ranks; the group still has to end on this thread.
            NcclApi.ncclGroupEnd();
            throw;
        }
        NcclCheck.Result(NcclApi.ncclGroupEnd(), "ncclGroupEnd");
    }

    /// <summary>Issues a checked NCCL call now, or at the end of the group this thread is in.</summary>
    internal static void Issue(Action call)
    {
        if (_pending is { } pending) pending.Add(call);
        else call();
    }
}
