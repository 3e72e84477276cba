namespace EdgePruning.Pruning.Masking;

/// <summary>
/// What the masked reads of some passes moved and how long they took: the least bytes they had to move
/// (<see cref="Kernels.MaskedRead.MaskedReadShape"/>: every tensor read or written once, the same count for the
/// fused and the unfused read so that the two compare) and their time on the device.
/// </summary>
public sealed record ReadTraffic(int Calls, long Bytes, double Seconds)
{
    public static ReadTraffic None { get; } = new(0, 0, 0);

    /// <summary>Bytes per second in GB/s (10⁹ bytes), 0 without a call.</summary>
    public double GigabytesPerSecond => Seconds > 0 ? Bytes / Seconds / 1e9 : 0;

    public ReadTraffic Add(long bytes, double seconds) => new(Calls + 1, Bytes + bytes, Seconds + seconds);
}
