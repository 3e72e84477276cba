using System.Globalization;

namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// Equality, order and names of RASP values. Numbers compare as numbers whatever their boxed type
/// (an int 2 equals a double 2.0), so maps may return either; numerical values are rounded to 1e-9
/// when used as keys, so a mean computed two ways is one value.
/// </summary>
public static class RaspValues
{
    public static bool IsNumber(object v) => v is int or long or double or float;

    public static double ToDouble(object v) => Convert.ToDouble(v, CultureInfo.InvariantCulture);

    public static bool Equal(object a, object b) =>
        IsNumber(a) && IsNumber(b) ? Math.Abs(ToDouble(a) - ToDouble(b)) < 1e-9 : Equals(a, b);

    public static int Compare(object a, object b)
    {
        if (IsNumber(a) && IsNumber(b)) return Equal(a, b) ? 0 : ToDouble(a).CompareTo(ToDouble(b));
        if (IsNumber(a) != IsNumber(b)) return IsNumber(a) ? -1 : 1;
        return string.CompareOrdinal(Name(a), Name(b));
    }

    /// <summary>The text of a value: residual dimension names, vocabulary entries and output classes.</summary>
    public static string Name(object v) => v switch
    {
        double d => Math.Round(d, 9).ToString("R", CultureInfo.InvariantCulture),
        float f => Math.Round((double)f, 9).ToString("R", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>Distinct values in RASP order (numbers ascending, then text ordinally).</summary>
    public static List<object> SortedDistinct(IEnumerable<object> values)
    {
        var list = new List<object>();
        foreach (var v in values.Order(Comparer<object>.Create(Compare)))
            if (list.Count == 0 || !Equal(list[^1], v)) list.Add(v);
        return list;
    }
}
