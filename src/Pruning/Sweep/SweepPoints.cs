using System.Globalization;

namespace EdgePruning.Pruning.Sweep;

/// <summary>
/// The points of a sweep as they finish, one CSV line each (method, setting, edges, edge fraction, KL, metric,
/// faithfulness, seconds, accuracy, trained sparsity), appended and flushed at once, so that an interrupted sweep
/// resumes point by point. Files of eight columns (before accuracy and trained sparsity) are read too.
/// </summary>
public static class SweepPoints
{
    public const string Header = "method,setting,edges,edge_fraction,kl,metric,faithfulness,seconds,accuracy,trained_sparsity";
    private const string EightColumnHeader = "method,setting,edges,edge_fraction,kl,metric,faithfulness,seconds";

    public static void Append(string path, SweepPoint p)
    {
        static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        bool fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        if (!fresh) Upgrade(path);
        using var w = new StreamWriter(path, append: true);
        if (fresh) w.WriteLine(Header);
        w.WriteLine(string.Join(',', p.Method, p.Setting, p.Edges.ToString(CultureInfo.InvariantCulture), F(p.EdgeFraction), F(p.Kl),
            F(p.Metric), F(p.Faithfulness), F(p.Seconds), F(p.Accuracy), F(p.TrainedSparsity)));
    }

    /// <summary>An eight-column file is rewritten with the two later columns (NaN: not measured), so that every line matches its header.</summary>
    private static void Upgrade(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != EightColumnHeader) return;
        var upgraded = lines.Skip(1).Select(l => l.Split(',').Length == 8 ? l + ",NaN,NaN" : l).Prepend(Header).ToArray();
        string temporary = path + ".upgrade";
        File.WriteAllLines(temporary, upgraded);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The points in <paramref name="path"/> by (method, setting); none when it does not exist. A torn last line is skipped.</summary>
    public static Dictionary<(string Method, string Setting), SweepPoint> Read(string path)
    {
        var points = new Dictionary<(string, string), SweepPoint>();
        if (!File.Exists(path)) return points;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length is not (8 or 10)) continue;
            static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
            try
            {
                points[(f[0], f[1])] = new SweepPoint(f[0], f[1], long.Parse(f[2], CultureInfo.InvariantCulture), D(f[3]), D(f[4]), D(f[5]), D(f[6]), D(f[7]),
                    f.Length == 10 ? D(f[8]) : double.NaN, f.Length == 10 ? D(f[9]) : double.NaN);
            }
            catch (FormatException)
            {
                // an interrupted write
            }
        }
        return points;
    }
}
