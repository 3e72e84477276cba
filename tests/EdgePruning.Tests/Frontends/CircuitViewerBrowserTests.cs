using System.Text.RegularExpressions;
using EdgePruning.Cli;
using EdgePruning.Tests.Circuits;

namespace EdgePruning.Tests.Frontends;

/// <summary>
/// <c>edgeprune view</c> opened in headless Chromium: the page loads offline without console errors, draws the
/// circuit's nodes and edges, a layer checkbox click changes the counts, and a screenshot is kept under
/// TestResults/ for people to look at.
/// </summary>
public partial class CircuitViewerBrowserTests
{
    // Loaded before the viewer's own script so that errors it throws, console.error calls and blocked
    // requests (the page's CSP forbids any network access) are all recorded.
    private const string Probe = """
        <script>
        window.__errors = [];
        window.addEventListener("error", function (e) { window.__errors.push("error: " + e.message); });
        window.addEventListener("securitypolicyviolation", function (e) { window.__errors.push("csp: " + e.blockedURI); });
        var __consoleError = console.error;
        console.error = function () { window.__errors.push("console: " + Array.prototype.join.call(arguments, " ")); __consoleError.apply(console, arguments); };
        </script>
        """;

    // Runs after the viewer: reads the counts, clicks the layer-0 checkbox like a user, reads them again.
    private const string Clicker = """
        <script>
        (function () {
          var g = document.getElementById("graph"), r = {};
          r.nodes = g ? g.getAttribute("data-nodes") : "none"; r.edges = g ? g.getAttribute("data-edges") : "none";
          var box = document.getElementById("layer-0");
          if (box) box.click();
          r.nodesAfter = g ? g.getAttribute("data-nodes") : "none"; r.edgesAfter = g ? g.getAttribute("data-edges") : "none";
          r.errors = window.__errors.length; r.firstError = window.__errors[0] || "";
          var out = document.createElement("pre"); out.id = "probe-result"; out.textContent = JSON.stringify(r);
          document.body.appendChild(out);
        })();
        </script>
        """;

    [ChromiumFact]
    public void ViewerPage_LoadsCleanlyCountsNodesAndEdgesAndFilters()
    {
        var dir = Directory.CreateTempSubdirectory("ep-view-");
        try
        {
            string model = SharedData.Model("tracr", "xproportion.safetensors");
            var prune = Run("prune", "--model", model, "--out", Path.Combine(dir.FullName, "a"), "--json");
            Assert.True(prune.Code == 0, prune.Out);
            string circuit = Path.Combine(dir.FullName, "a", "circuit.json");
            string page = Path.Combine(dir.FullName, "circuit.html");
            var view = Run("view", circuit, "--out", page);
            Assert.True(view.Code == 0, view.Err);
            string html = File.ReadAllText(page);
            Assert.DoesNotMatch(@"<script[^>]+src=|<link[^>]+href=|https?://(?!www\.w3\.org/2000/svg)", html);

            var result = Probed(html, dir.FullName);
            Assert.Equal("0", result["errors"]);
            Assert.Equal("5", result["nodes"]);
            Assert.Equal("7", result["edges"]);
            // Layer 0 holds m0; hiding it drops tok_embeds->m0 and m0->a1.h0<v>.
            Assert.Equal("5", result["edgesAfter"]);
            Assert.Equal("4", result["nodesAfter"]);

            Screenshot(page, "circuit-viewer.png");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [ChromiumFact]
    public void ComparePage_ShowsTheUnionOfBothCircuits()
    {
        var dir = Directory.CreateTempSubdirectory("ep-view-");
        try
        {
            string model = SharedData.Model("tracr", "xproportion.safetensors");
            string a = Path.Combine(dir.FullName, "a"), b = Path.Combine(dir.FullName, "b");
            Assert.Equal(0, Run("prune", "--model", model, "--out", a).Code);
            // A sparser target on a short run keeps a different edge set: some shared, some only in one.
            Assert.Equal(0, Run("prune", "--model", model, "--out", b, "--steps", "200", "--target-sparsity", "1.2").Code);
            string page = Path.Combine(dir.FullName, "compare.html");
            var view = Run("view", Path.Combine(a, "circuit.json"), "--compare", Path.Combine(b, "circuit.json"), "--out", page, "--json");
            Assert.True(view.Code == 0, view.Out);
            var result = Probed(File.ReadAllText(page), dir.FullName);
            Assert.Equal("0", result["errors"]);
            Assert.Equal(Count(view.Out, "edges"), result["edges"]);
            Assert.Equal(Count(view.Out, "nodes"), result["nodes"]);
            Screenshot(page, "circuit-viewer-compare.png");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Count(string json, string name) =>
        System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty(name).GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    private static Dictionary<string, string> Probed(string html, string dir)
    {
        string probed = Path.Combine(dir, "probed.html");
        File.WriteAllText(probed, html.Replace("<body>\n", "<body>\n" + Probe, StringComparison.Ordinal)
            .Replace("</body>", Clicker + "</body>", StringComparison.Ordinal));
        var (code, dom, err) = Chromium(["--dump-dom", new Uri(probed).AbsoluteUri]);
        Assert.True(code == 0, err);
        var m = ResultBlock().Match(dom);
        Assert.True(m.Success, "the probe did not run; DOM:\n" + dom[..Math.Min(dom.Length, 2000)] + "\n" + err);
        using var doc = System.Text.Json.JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(m.Groups[1].Value));
        var result = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
        Assert.True(result["errors"] == "0", "console errors: " + result["firstError"]);
        return result;
    }

    private static void Screenshot(string page, string name)
    {
        string results = Path.Combine(CircuitSchema.RepositoryRoot(), "TestResults");
        Directory.CreateDirectory(results);
        string png = Path.Combine(results, name);
        var (code, _, err) = Chromium([$"--screenshot={png}", "--window-size=1200,520", new Uri(page).AbsoluteUri]);
        Assert.True(code == 0 && File.Exists(png) && new FileInfo(png).Length > 1000, "screenshot failed: " + err);
    }

    private static (int Code, string Out, string Err) Chromium(string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("ep-chromium-");
        try
        {
            return ExternalTool.Run(ChromiumFactAttribute.Chromium!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile.FullName}", .. args,
            ], timeoutSeconds: 120);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [GeneratedRegex("<pre id=\"probe-result\">(.*?)</pre>", RegexOptions.Singleline)]
    private static partial Regex ResultBlock();
}

/// <summary>A fact that needs Debian's chromium and ../shared: skipped, with the reason shown, without them.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public static readonly string? Chromium = ExternalTool.Find("chromium");

    public ChromiumFactAttribute()
    {
        if (Chromium is null) Skip = "chromium not found on PATH (Debian package chromium; build.ps1 test installs it as root); the viewer page is not tested in a browser";
        else if (SharedData.Root is null) Skip = "needs ../shared (the Tracr model) for the viewer test";
    }
}
