using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The bandwidth of a <see cref="MaskedReadBenchmarks"/> case: the minimum bytes of the call
/// (<see cref="MaskedReadBenchShape.MinimumBytes"/>) over the median time, as GB/s or as a share of the
/// peak (<see cref="PeakBandwidth"/>). Both paths are charged the fused call's minimum bytes, so for the
/// unfused path it is an effective figure (it moves more), and the two compare as the inverse of their times.
/// </summary>
public sealed class BandwidthColumn : IColumn
{
    private readonly bool _share;

    private BandwidthColumn(bool share) => _share = share;

    public static BandwidthColumn GigabytesPerSecond { get; } = new(false);
    public static BandwidthColumn ShareOfPeak { get; } = new(true);

    public string Id => _share ? "MaskedReadPeakShare" : "MaskedReadGBps";
    public string ColumnName => _share ? "% of peak" : "GB/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => _share ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _share
        ? $"GB/s over the peak memory bandwidth, {PeakBandwidth.ForBenchBackend.BytesPerSecond / 1e9:F1} GB/s ({PeakBandwidth.ForBenchBackend.Source})"
        : "MaskedReadShape.ForwardBytes/BackwardBytes of the call (its minimum DRAM traffic, every tensor once) over the median time; " +
          "the unfused path is charged the same minimum bytes, not the traffic it really moves, so the two paths compare";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var median = summary[benchmarkCase]?.ResultStatistics?.Median;
        if (median is not > 0) return "NA";
        var shape = MaskedReadBenchShape.ForName((string)benchmarkCase.Parameters[nameof(MaskedReadBenchmarks.Shape)]);
        var direction = (MaskedReadDirection)benchmarkCase.Parameters[nameof(MaskedReadBenchmarks.Direction)];
        var dtype = (DType)benchmarkCase.Parameters[nameof(MaskedReadBenchmarks.DType)];
        double gigabytesPerSecond = shape.MinimumBytes(direction, dtype) / median.Value; // bytes per ns
        if (!_share) return gigabytesPerSecond.ToString(gigabytesPerSecond < 10 ? "F2" : "F1", CultureInfo.InvariantCulture);
        double peak = PeakBandwidth.ForBenchBackend.BytesPerSecond;
        return double.IsNaN(peak) ? "?" : (100 * gigabytesPerSecond * 1e9 / peak).ToString("F1", CultureInfo.InvariantCulture) + "%";
    }

    public override string ToString() => ColumnName;
}
