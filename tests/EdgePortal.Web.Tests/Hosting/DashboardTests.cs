using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>
/// deploy/grafana/edgeportal.json against the real /metrics of a portal that has just completed a migration: every metric
/// any panel's PromQL reads is exposed, the names carry their units as Prometheus and OpenTelemetry name them, and nothing
/// on the unauthenticated endpoint names a tenant.
/// </summary>
public sealed partial class DashboardTests : IAsyncLifetime
{
    private static readonly string DashboardPath = RepositoryRoot.File("deploy", "grafana", "edgeportal.json");

    /// <summary>PromQL's keywords, and its aggregation operators, which may stand before their <c>by (…)</c> clause.</summary>
    private static readonly HashSet<string> PromQlKeywords =
    [
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
        "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
    ];

    private readonly TempFolder _folder = new();
    private PortalFactory _factory = null!;
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _factory = new PortalFactory(_folder.File("metrics.db"), PortalFactory.FastEdge());
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Metrics_AfterACompletedMigration_ExposeEveryMetricTheDashboardQueries()
    {
        var wanted = DashboardExpressions().SelectMany(MetricNames).ToHashSet();
        Assert.Contains("edgeportal_migration_model_error_ratio_bucket", wanted);
        await CompleteMigrationAsync();

        // The exporter caches its answer for a moment and the hub forwarder records deliveries after the push: wait for them.
        var exposition = await ScrapeUntilAsync(text => wanted.All(name => Exposes(text, name)));

        var missing = wanted.Where(name => !Exposes(exposition, name)).ToList();
        Assert.True(missing.Count == 0, $"The dashboard queries metrics /metrics does not expose: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Metrics_AfterACompletedMigration_CarryEveryLabelTheDashboardGroupsOrFiltersBy()
    {
        // Each (metric, label) a query needs: a panel that groups by a label its metric does not carry draws one unlabelled
        // series, and a filter on such a label draws nothing; neither fails in Grafana, so this test must.
        var wanted = DashboardExpressions()
            .SelectMany(e => MetricNames(e).SelectMany(metric => LabelNames(e).Select(label => (Metric: metric, Label: label))))
            .ToHashSet();
        Assert.Contains(("edgeportal_migrations_finished_total", "outcome"), wanted);
        Assert.Contains(("edgeportal_migrations_finished_total", "strategy"), wanted);
        Assert.Contains(("edgeportal_migration_downtime_seconds_bucket", "kind"), wanted);
        Assert.Contains(("edgeportal_migration_model_error_ratio_bucket", "kpi"), wanted);
        await CompleteMigrationAsync();

        var exposition = await ScrapeUntilAsync(text => wanted.All(w => Carries(text, w.Metric, w.Label)));

        var missing = wanted.Where(w => !Carries(exposition, w.Metric, w.Label)).Select(w => $"{w.Metric} by {w.Label}").ToList();
        Assert.True(missing.Count == 0, $"The dashboard groups or filters by labels /metrics does not put on the metric: {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Metrics_EdgePortalInstruments_CarryTheirUnitsAndNoTenant()
    {
        await CompleteMigrationAsync();
        var exposition = await ScrapeUntilAsync(text => text.Contains("edgeportal_migration_downtime_seconds_bucket", StringComparison.Ordinal));

        var types = TypeLine().Matches(exposition).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value);
        Assert.Contains("edgeportal_migrations_finished_total", exposition);
        Assert.All(types.Where(t => t.Key.StartsWith("edgeportal_", StringComparison.Ordinal)), t =>
        {
            if (t.Value == "counter")
                Assert.EndsWith("_total", t.Key);
            if (t.Value == "histogram")
                Assert.Matches("_(seconds|ratio|bytes)$", t.Key);
            Assert.DoesNotContain("milliseconds", t.Key);
        });
        var edgeportalLines = exposition.Split('\n').Where(l => l.StartsWith("edgeportal_", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(edgeportalLines);
        Assert.All(edgeportalLines, line =>
        {
            Assert.DoesNotContain("tenant=", line);
            Assert.DoesNotContain(DemoEdge.SkyFleet.Value.ToString(), line);
        });
    }

    [Fact]
    public void Dashboard_Panels_CoverWhatIssue20AsksAndQueryOnlyEdgePortalMetrics()
    {
        var titles = Panels().Select(p => p.GetProperty("title").GetString()!).ToList();
        foreach (var needed in new[] { "outcome", "strategy", "measured vs predicted", "Model error", "Queue depth", "Event delivery", "tenant" })
            Assert.Contains(titles, t => t.Contains(needed, StringComparison.OrdinalIgnoreCase));
        var names = DashboardExpressions().SelectMany(MetricNames).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.StartsWith("edgeportal_", n));
        Assert.All(DashboardExpressions(), e => Assert.DoesNotContain("tenant", Regex.Replace(e, "edgeportal_tenants_active", "")));
    }

    [Theory]
    [InlineData("histogram_quantile(0.95, sum by (le, kind) (rate(a_bucket{job=\"x\"}[5m])))", "a_bucket")]
    [InlineData("sum(increase(b_total[1h])) / clamp_min(max(c), 1)", "b_total c")]
    [InlineData("sum by (strategy) (rate(d_sum[$__rate_interval])) / on (strategy) group_left sum(e)", "d_sum e")]
    public void MetricNames_PromQl_FindsTheMetricsNotFunctionsOrLabels(string expression, string expected)
        => Assert.Equal(expected.Split(' '), MetricNames(expression));

    [Theory]
    [InlineData("histogram_quantile(0.95, sum by (le, kind) (rate(a_bucket{job=\"x\"}[5m])))", "le kind job")]
    [InlineData("sum by (strategy) (rate(d_sum[$__rate_interval])) / on (strategy) group_left (kpi) sum(e)", "strategy kpi")]
    [InlineData("sum without(instance)(f{outcome=~\"Fail.*\", strategy!=\"Cold\"})", "instance outcome strategy")]
    [InlineData("sum(increase(b_total[1h])) / clamp_min(max(c), 1)", "")]
    public void LabelNames_PromQl_FindsTheGroupingAndMatcherLabels(string expression, string expected)
        => Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries), LabelNames(expression));

    private async Task CompleteMigrationAsync()
    {
        var services = await _client.GetFromJsonAsync<JsonElement>("/api/v1/services");
        var service = services.EnumerateArray().First(s => s.GetProperty("name").GetString() == "flight-control").GetProperty("id").GetGuid();
        var started = await _client.PostAsJsonAsync("/api/v1/migrations", new { serviceId = service, acceptTargetMiss = true });
        started.EnsureSuccessStatusCode();
        var id = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? state = null;
        while (DateTime.UtcNow < deadline)
        {
            state = (await _client.GetFromJsonAsync<JsonElement>($"/api/v1/migrations/{id}")).GetProperty("state").GetString();
            if (state is "Completed" or "RolledBack" or "Cancelled" or "Failed")
                break;
            await Task.Delay(50);
        }
        Assert.Equal("Completed", state);
    }

    /// <summary>Scrapes /metrics until <paramref name="done"/> holds (the condition) or 30 s pass; returns the last scrape.</summary>
    private async Task<string> ScrapeUntilAsync(Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string text;
        do
        {
            text = await _client.GetStringAsync("/metrics");
            if (done(text))
                break;
            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        return text;
    }

    /// <summary>Whether the exposition has a sample of <paramref name="name"/> (a series line, not only its HELP or TYPE).</summary>
    private static bool Exposes(string exposition, string name)
        => exposition.Split('\n').Any(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal));

    /// <summary>Whether a sample of <paramref name="metric"/> in the exposition carries the label <paramref name="label"/>.</summary>
    private static bool Carries(string exposition, string metric, string label)
        => exposition.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal))
            .Any(l => SampleLabel().Matches(l[..(l.LastIndexOf('}') + 1)]).Any(m => m.Groups["name"].Value == label));

    /// <summary>
    /// The label names a PromQL expression groups, matches or filters by: those in <c>by</c>, <c>without</c>, <c>on</c>,
    /// <c>ignoring</c> and <c>group_left/right</c> clauses and the names of its selectors' label matchers.
    /// </summary>
    internal static List<string> LabelNames(string expression)
    {
        var names = new List<string>();
        foreach (Match clause in GroupingClause().Matches(expression))
            names.AddRange(clause.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (Match selector in Selector().Matches(expression))
            names.AddRange(Matcher().Matches(selector.Groups["matchers"].Value).Select(m => m.Groups["name"].Value));
        return names.Distinct().ToList();
    }

    [GeneratedRegex(@"\{(?<matchers>[^}]*)\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex GroupingClause();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*""")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?:[^""\\]|\\.)*""")]
    private static partial Regex SampleLabel();

    private static IEnumerable<JsonElement> Panels()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        var all = new List<JsonElement>();
        void Walk(JsonElement panels)
        {
            foreach (var panel in panels.EnumerateArray())
            {
                all.Add(panel.Clone());
                if (panel.TryGetProperty("panels", out var nested))
                    Walk(nested);
            }
        }
        Walk(document.RootElement.GetProperty("panels"));
        return all;
    }

    private static IEnumerable<string> DashboardExpressions()
        => Panels().Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!);

    /// <summary>The metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or ranges.</summary>
    internal static List<string> MetricNames(string expression)
    {
        var stripped = Regex.Replace(expression, "\"(?:[^\"\\\\]|\\\\.)*\"", "");
        stripped = Regex.Replace(stripped, @"\{[^}]*\}", "");
        stripped = Regex.Replace(stripped, @"\[[^\]]*\]", "");
        stripped = Regex.Replace(stripped, @"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "$1");
        return Identifier().Matches(stripped).Select(m => m.Value).Where(n => !PromQlKeywords.Contains(n)).Distinct().ToList();
    }

    [GeneratedRegex(@"(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^# TYPE (?<name>\S+) (?<type>\S+)", RegexOptions.Multiline)]
    private static partial Regex TypeLine();
}
