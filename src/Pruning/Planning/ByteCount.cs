using System.Globalization;

namespace EdgePruning.Pruning.Planning;

/// <summary>Byte counts for people, in decimal units (1 GB = 10⁹ bytes, as device memory is sold).</summary>
public static class ByteCount
{
    public static string Format(long bytes)
    {
        double b = bytes;
        (double scale, string unit) = Math.Abs(b) switch
        {
            >= 1e9 => (1e9, "GB"),
            >= 1e6 => (1e6, "MB"),
            >= 1e3 => (1e3, "kB"),
            _ => (1, "B"),
        };
        return scale == 1 ? $"{bytes} B" : (b / scale).ToString(b / scale >= 100 ? "F0" : b / scale >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture) + " " + unit;
    }
}
