using ScottPlot;

namespace EdgePruning.Pruning.Sweep;

/// <summary>
/// Faithfulness (top) and KL (bottom) against the number of edges, one line per method, on a log edge axis
/// since circuit sizes of interest span orders of magnitude.
/// </summary>
public static class SweepPlot
{
    public static void SavePng(SweepResult result, string path, int width = 900, int height = 800)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var faith = multiplot.GetPlot(0);
        var kl = multiplot.GetPlot(1);
        foreach (var m in result.Methods)
        {
            var pts = m.Points.Where(p => p.Edges > 0).OrderBy(p => p.Edges).ToArray();
            if (pts.Length == 0) continue;
            double[] xs = pts.Select(p => Math.Log10(p.Edges)).ToArray();
            var f = faith.Add.Scatter(xs, pts.Select(p => double.IsFinite(p.Faithfulness) ? p.Faithfulness : 0).ToArray());
            f.LegendText = $"{m.Method} (CPR {m.Cpr:F2}, CMD {m.Cmd:F2})";
            var k = kl.Add.Scatter(xs, pts.Select(p => p.Kl).ToArray());
            k.LegendText = m.Method;
            k.Color = f.Color;
        }
        var full = faith.Add.HorizontalLine(1);
        full.LinePattern = LinePattern.Dashed;
        full.Color = Colors.Gray;
        faith.Title($"{result.Task} on {Path.GetFileName(result.Model)}: {result.TotalEdges} edges, {result.Ablation} ablation");
        faith.YLabel("faithfulness");
        kl.YLabel("KL(full ‖ circuit)");
        foreach (var p in new[] { faith, kl })
        {
            p.XLabel("edges (log10)");
            p.ShowLegend(Alignment.LowerRight);
        }
        kl.ShowLegend(Alignment.UpperRight);
        multiplot.SavePng(path, width, height);
    }
}
