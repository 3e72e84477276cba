using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// A device buffer that small host arguments (row lists, visible counts) are copied into before a kernel
/// reads them; grown when too small, reused otherwise. Reuse is safe because every copy and kernel runs on
/// the context's one stream in order.
/// </summary>
internal sealed class DeviceSpanStaging(CudaContext context) : IDisposable
{
    private DeviceBuffer? _buffer;

    /// <summary>The device address holding a copy of <paramref name="values"/> (0 for an empty span).</summary>
    public unsafe ulong Stage<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        if (values.IsEmpty) return 0;
        long bytes = (long)values.Length * sizeof(T);
        if (_buffer is null || _buffer.ByteLength < bytes)
        {
            _buffer?.Dispose();
            _buffer = context.Pool.Rent(Math.Max(bytes, 4096));
        }
        context.CopyToDevice(values, _buffer.DeviceAddress);
        return _buffer.DeviceAddress;
    }

    public void Dispose() => _buffer?.Dispose();
}
