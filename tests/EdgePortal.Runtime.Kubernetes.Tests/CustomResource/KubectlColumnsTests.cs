using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing;

namespace EdgePortal.Runtime.Kubernetes.Tests.CustomResource;

/// <summary>
/// What <c>kubectl get edgemigrations</c> prints, rendered from the CRD's printer columns (their JSONPath and type, as
/// kubectl's table printer applies them) against an EdgeMigration recorded from a run of the controller
/// (<c>recorded-edgemigration.json</c>, written by <see cref="EdgeMigrationControllerTests"/>' first test).
/// </summary>
public sealed class KubectlColumnsTests
{
    private static readonly JsonObject Recorded =
        JsonNode.Parse(File.ReadAllText(RepositoryRoot.File("tests", "EdgePortal.Runtime.Kubernetes.Tests", "CustomResource", "recorded-edgemigration.json")))!.AsObject();

    [Fact]
    public void Get_RecordedEdgeMigration_ShowsServicePhaseStrategyDowntimeAndAge()
    {
        var fiveMinutesLater = DateTimeOffset.Parse(Recorded["metadata"]!["creationTimestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture).AddMinutes(5);

        var table = Render([Recorded], fiveMinutesLater, wide: false);

        Assert.Equal(
            """
            NAME                  SERVICE          PHASE       STRATEGY           DOWNTIME   AGE
            move-flight-control   flight-control   Completed   IterativePreCopy   932 ms     5m
            """.ReplaceLineEndings("\n"), table);
    }

    [Fact]
    public void GetWide_RecordedEdgeMigration_AddsTheMigrationId()
    {
        var table = Render([Recorded], DateTimeOffset.Parse("2026-12-09T19:24:05Z", CultureInfo.InvariantCulture), wide: true);

        var lines = table.Split('\n');
        Assert.EndsWith("AGE   MIGRATION", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("2d    01a251f6-9d25-7f57-bcc8-8092d7157790", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Get_ResourceNotStartedYet_ShowsEmptyColumnsAsKubectlDoes()
    {
        var fresh = Recorded.DeepClone().AsObject();
        fresh.Remove("status");

        var table = Render([fresh], DateTimeOffset.Parse("2026-12-07T19:24:35Z", CultureInfo.InvariantCulture), wide: false);

        Assert.Equal("move-flight-control   flight-control   <none>   <none>     <none>     30s", table.Split('\n')[1]);
    }

    [Fact]
    public void Recorded_Object_IsValidUnderTheCrdSchema()
    {
        Assert.Null(CustomResourceDefinitions.Problem(CustomResourceDefinitions.EdgeMigrationSchema, Recorded));
    }

    [Fact]
    public void Crd_Enums_AreTheDomainsOwn()
    {
        var spec = CustomResourceDefinitions.EdgeMigrationSchema["properties"]!["spec"]!["properties"]!;
        var status = CustomResourceDefinitions.EdgeMigrationSchema["properties"]!["status"]!["properties"]!;

        Assert.Equal(Enum.GetNames<MigrationStrategy>(), Values(spec["strategy"]!));
        Assert.Equal(Enum.GetNames<Objective>(), Values(spec["objective"]!));
        Assert.Equal(["Pending", .. Enum.GetNames<MigrationState>(), "Refused"], Values(status["phase"]!));
        Assert.Equal(Enum.GetNames<StepStatus>(), Values(status["steps"]!["items"]!["properties"]!["status"]!));
        Assert.Equal(Core.Planning.PamParameters.PaperTestbed.MaxIterations, spec["iterations"]!["maximum"]!.GetValue<int>());
    }

    private static string[] Values(JsonNode property) => [.. property["enum"]!.AsArray().Select(v => v!.GetValue<string>())];

    /// <summary>kubectl's table: NAME, then each printer column (priority 0, or all with -o wide), cells padded by three spaces.</summary>
    private static string Render(IReadOnlyList<JsonObject> items, DateTimeOffset now, bool wide)
    {
        var columns = CustomResourceDefinitions.EdgeMigrationVersion.AdditionalPrinterColumns.Where(c => wide || (c.Priority ?? 0) == 0).ToList();
        List<string[]> rows = [["NAME", .. columns.Select(c => c.Name.ToUpperInvariant())]];
        foreach (var item in items)
            rows.Add([item["metadata"]!["name"]!.GetValue<string>(), .. columns.Select(c => Cell(item, c.JsonPath, c.Type, now))]);
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            if (text.Length > 0)
                text.Append('\n');
            text.Append(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        }
        return text.ToString();
    }

    /// <summary>A simple JSONPath (<c>.a.b</c>, as printer columns use) and kubectl's formatting of its type; a missing value prints &lt;none&gt;.</summary>
    private static string Cell(JsonObject item, string path, string type, DateTimeOffset now)
    {
        JsonNode? node = item;
        foreach (var part in path.TrimStart('.').Split('.'))
            node = node?[part];
        if (node is null)
            return "<none>";
        return type switch
        {
            "date" => HumanDuration(now - DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture)),
            "number" or "integer" => node.ToJsonString(),
            _ => node.GetValue<string>(),
        };
    }

    /// <summary>k8s.io/apimachinery/pkg/util/duration.HumanDuration, which kubectl uses for AGE.</summary>
    private static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1)
            return "<invalid>";
        if (seconds < 0)
            return "0s";
        if (seconds < 60 * 2)
            return $"{seconds}s";
        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
            return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        if (minutes < 60 * 3)
            return $"{minutes}m";
        var hours = (long)d.TotalHours;
        if (hours < 8)
            return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        if (hours < 48)
            return $"{hours}h";
        if (hours < 24 * 8)
            return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        if (hours < 24 * 365 * 2)
            return $"{hours / 24}d";
        return $"{hours / 24 / 365}y";
    }
}
