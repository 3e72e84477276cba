namespace EdgePruning.Pruning.Circuits;

/// <summary>Image formats <see cref="CircuitDot.Render(string, GraphvizFormat, string)"/> asks Graphviz for.</summary>
public enum GraphvizFormat
{
    Svg,
    Png,
}
