using System.Globalization;

namespace EdgePruning.Pruning.Sweep;

/// <summary>The sweep as CSV: one row per circuit, then one summary row per method (setting "summary").</summary>
public static class SweepCsv
{
    public const string Header = "model,task,method,setting,edges,edge_fraction,kl,metric,faithfulness,seconds,cpr,cmd,accuracy,trained_sparsity";

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
