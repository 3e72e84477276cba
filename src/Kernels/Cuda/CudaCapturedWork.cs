using System.Diagnostics.CodeAnalysis;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>A step captured as one CUDA graph (<see cref="CapturedStreamWork"/>), as the kernel backends' <see cref="ICapturedWork"/>.</summary>
internal sealed class CudaCapturedWork(CapturedStreamWork work) : ICapturedWork
{
    public int Operations => work.Operations;

    public long DeviceBytes => work.ReservedBytes;

    public bool Feed(Action run, [NotNullWhen(false)] out string? difference) => work.Feed(run, out difference);

    public void Launch() => work.Launch();

    public void Dispose() => work.Dispose();
}
