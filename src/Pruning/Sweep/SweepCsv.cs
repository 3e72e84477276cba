using System.Globalization;

namespace EdgePruning.Pruning.Sweep;

/// <summary>
/// The sweep as CSV: one row per circuit, then one summary row per method (setting "summary"); and the same-size
/// comparison (<see cref="SameSizeComparison"/>) as a file of its own.
/// </summary>
public static class SweepCsv
{
    public const string Header = "model,task,method,setting,edges,edge_fraction,kl,metric,faithfulness,seconds,cpr,cmd,accuracy,trained_sparsity";

    public const string SameSizeHeader = "method,setting,edges,kl,best_baseline,baseline_kl,at_or_below";

    public static void WriteSameSize(IReadOnlyList<SameSizeRow> rows, string path)
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        using var w = new StreamWriter(path);
        w.WriteLine(SameSizeHeader);
        foreach (var r in rows)
            w.WriteLine(string.Join(',', r.Method, r.Setting, r.Edges.ToString(CultureInfo.InvariantCulture), F(r.Kl), r.Baseline ?? "",
                F(r.BaselineKl), r.Baseline is null ? "" : r.AtOrBelow ? "yes" : "no"));
    }

    public static void Write(SweepResult result, string path)
    {
        using var w = new StreamWriter(path);
        Write(result, w);
    }

    public static void Write(SweepResult r, TextWriter w)
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        string Q(string s) => s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        w.WriteLine(Header);
        foreach (var m in r.Methods)
        {
            foreach (var p in m.Points)
                w.WriteLine(string.Join(',', Q(r.Model), Q(r.Task), m.Method, Q(p.Setting), p.Edges.ToString(CultureInfo.InvariantCulture),
                    F(p.EdgeFraction), F(p.Kl), F(p.Metric), F(p.Faithfulness), F(p.Seconds), "", "", F(p.Accuracy), F(p.TrainedSparsity)));
            w.WriteLine(string.Join(',', Q(r.Model), Q(r.Task), m.Method, "summary", "", "", "", "", "", F(m.Seconds), F(m.Cpr), F(m.Cmd), "", ""));
        }
    }
}
