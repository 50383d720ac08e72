using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Limits;

/// <summary>
/// Every text a client can send is length-limited: for each endpoint of the app's own list that takes a body or a text route
/// value, a valid request is made with one string at a time far over any limit, and the answer must be 400 naming that field.
/// A new endpoint with a body fails here until it has a valid sample below, and a sample that leaves out a text property of
/// its body type fails too, so no input DTO escapes.
/// </summary>
public sealed class InputLengthTests : PortalTest
{
    private static readonly string Huge = new('x', 5_000);

    private readonly EdgeInventory _demo = DemoEdge.Build();

    private Guid Sky => DemoEdge.SkyFleet.Value;

    private Guid Service => _demo.Services.First(s => s.TenantId == DemoEdge.SkyFleet).Id.Value;

    private Guid Cluster => _demo.Clusters[0].Id.Value;

    private static JsonObject Sample(double size) => new()
    {
        ["stateSizeBytes"] = size, ["dirtyPagesPerSecond"] = 0, ["dumpMs"] = 10 + size / 1e6, ["transferMs"] = 5, ["restoreMs"] = 10, ["downtimeMs"] = 30,
    };

    private JsonObject ScheduleBody() => new()
    {
        ["name"] = "Nightly", ["kind"] = "Cron", ["cron"] = "0 0 2 * * ?", ["timeZone"] = "UTC", ["objective"] = "MinDowntime", ["misfirePolicy"] = "Skip",
        ["target"] = new JsonObject { ["kind"] = "LabelSelector", ["labels"] = "tier=gold" },
    };

    private static JsonObject WindowBody() => new()
    {
        ["name"] = "Night", ["days"] = new JsonArray("Saturday"), ["start"] = "02:00", ["durationMinutes"] = 60, ["timeZone"] = "UTC",
    };

    /// <summary>A valid request per endpoint that takes a body, by "METHOD pattern"; ids are filled in per test.</summary>
    private Dictionary<string, Func<Ids, JsonObject>> Samples() => new()
    {
        ["POST /api/v1/migrations/"] = _ => new() { ["serviceId"] = Service, ["objective"] = "MinDowntime", ["strategy"] = "Cold" },
        ["POST /api/v1/migrations:batch"] = _ => new()
        {
            ["migrations"] = new JsonArray(new JsonObject { ["serviceId"] = Service, ["objective"] = "MinDowntime", ["strategy"] = "Cold" }),
        },
        ["POST /api/v1/plans/what-if"] = _ => new()
        {
            ["stateSizeBytes"] = 1e7, ["dirtyRateNormalized"] = 0, ["bandwidthBitsPerSecond"] = 1e9, ["maxDowntimeMs"] = 2000, ["maxMigrationTimeMs"] = 5000,
            ["objective"] = "MinDowntime", ["hostClass"] = "edge-standard",
        },
        ["POST /api/v1/services/{id:guid}/plan"] = _ => new() { ["objective"] = "MinDowntime", ["strategy"] = "Cold" },
        ["POST /api/v1/schedules/"] = _ => ScheduleBody(),
        ["PUT /api/v1/schedules/{id:guid}"] = _ => ScheduleBody(),
        ["POST /api/v1/clusters/{id:guid}/windows"] = _ => WindowBody(),
        ["PUT /api/v1/clusters/{id:guid}/windows/{windowId:guid}"] = _ => WindowBody(),
        ["POST /api/v1/users"] = _ => new() { ["userName"] = "new-user", ["password"] = "long-enough-1", ["role"] = "Viewer", ["tenantId"] = Sky },
        ["PATCH /api/v1/users/{id:guid}"] = _ => new() { ["role"] = "Viewer", ["tenantId"] = Sky, ["disabled"] = false, ["password"] = "another-long-1" },
        ["POST /api/v1/keys"] = _ => new() { ["name"] = "ci", ["role"] = "Viewer", ["tenantId"] = Sky },
        ["POST /api/v1/tenants/"] = _ => new() { ["name"] = "New Co", ["allowedClusters"] = new JsonArray(), ["defaultObjective"] = "MinDowntime" },
        ["PUT /api/v1/tenants/{id:guid}/clusters"] = _ => new() { ["allowedClusters"] = new JsonArray() },
        ["PUT /api/v1/tenants/{id:guid}/quotas"] = _ => new() { ["maxConcurrentMigrations"] = 2 },
        ["PUT /api/v1/tenants/{id:guid}/post-copy"] = _ => new() { ["allowPostCopy"] = false },
        ["POST /api/v1/calibrations/"] = _ => new()
        {
            ["hostClass"] = "edge-small", ["host"] = "lab", ["samples"] = new JsonArray(Sample(1e6), Sample(1e7), Sample(1e8)),
        },
        ["PUT /api/v1/clusters/{name}"] = _ => new()
        {
            ["kind"] = "Agent", ["region"] = "Torino",
            ["nodes"] = new JsonArray(new JsonObject
            {
                ["name"] = "lab-a", ["site"] = "Lingotto", ["cpuMillicores"] = 4000, ["memoryBytes"] = 8e9, ["latitude"] = 45, ["longitude"] = 7.6, ["hostClass"] = "edge-small",
            }),
            ["links"] = new JsonArray(new JsonObject { ["from"] = "lab-a", ["to"] = _demo.Nodes[0].Name, ["bandwidthBitsPerSecond"] = 1e9, ["latencyMs"] = 1 }),
            ["tenants"] = new JsonArray("SkyFleet Drones"),
            ["services"] = new JsonArray(new JsonObject
            {
                ["name"] = "probe", ["tenant"] = "SkyFleet Drones", ["node"] = "lab-a", ["stateBytes"] = 1e6, ["dirtyPagesPerSecond"] = 0,
                ["maxDowntimeMs"] = 1000, ["maxMigrationTimeMs"] = 5000, ["maxUserLatencyMs"] = 20, ["objective"] = "MinDowntime",
                ["labels"] = new JsonObject { ["tier"] = "gold" },
                ["users"] = new JsonArray(new JsonObject { ["name"] = "pilots", ["attachedTo"] = "lab-a", ["count"] = 3 }),
            }),
        },
    };

    /// <summary>Ids the routes need, made on the test's portal.</summary>
    private sealed record Ids(Guid Schedule, Guid Window, Guid User);

    private async Task<Ids> MakeIdsAsync()
    {
        var schedule = await (await Client.PostAsJsonAsync("/api/v1/schedules", ScheduleBody())).Content.ReadFromJsonAsync<JsonElement>();
        var window = await (await Client.PostAsJsonAsync($"/api/v1/clusters/{Cluster}/windows", WindowBody())).Content.ReadFromJsonAsync<JsonElement>();
        var user = await (await Client.PostAsJsonAsync("/api/v1/users", new { userName = $"limits-{Guid.NewGuid():N}"[..20], password = "long-enough-1", role = "Viewer", tenantId = Sky }))
            .Content.ReadFromJsonAsync<JsonElement>();
        return new Ids(schedule.GetProperty("schedule").GetProperty("id").GetGuid(), window.GetProperty("id").GetGuid(), user.GetProperty("id").GetGuid());
    }

    private string Path(string pattern, Ids ids) => pattern
        .Replace("/schedules/{id:guid}", $"/schedules/{ids.Schedule}", StringComparison.Ordinal)
        .Replace("/windows/{windowId:guid}", $"/windows/{ids.Window}", StringComparison.Ordinal)
        .Replace("/users/{id:guid}", $"/users/{ids.User}", StringComparison.Ordinal)
        .Replace("/clusters/{id:guid}", $"/clusters/{Cluster}", StringComparison.Ordinal)
        .Replace("/services/{id:guid}", $"/services/{Service}", StringComparison.Ordinal)
        .Replace("/tenants/{id:guid}", $"/tenants/{Sky}", StringComparison.Ordinal)
        .Replace("{name}", "lab-cluster", StringComparison.Ordinal);

    /// <summary>The API's endpoints that take a JSON body, as "METHOD pattern" with the body's type.</summary>
    private List<(string Key, string Method, string Pattern, Type Body)> BodyEndpoints() =>
    [
        .. Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .Select(e => (Endpoint: e, Accepts: e.Metadata.GetMetadata<IAcceptsMetadata>(), Method: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Single()))
            .Where(x => x.Accepts?.RequestType is not null && x.Method is not null)
            .Select(x => ($"{x.Method} {x.Endpoint.RoutePattern.RawText}", x.Method!, x.Endpoint.RoutePattern.RawText!, x.Accepts!.RequestType!)),
    ];

    /// <summary>Every string in <paramref name="node"/> with its field name as the API names it (target.labels, nodes[0].name).</summary>
    private static IEnumerable<(string Field, Action<string> Set)> Strings(JsonNode node, string path)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    var field = path.Length == 0 ? name : $"{path}.{name}";
                    if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                        yield return (field, s => o[name] = s);
                    else if (value is not null)
                        foreach (var inner in Strings(value, field))
                            yield return inner;
                }
                // A map's keys are text too (labels).
                if (path.EndsWith("labels", StringComparison.Ordinal) && o.Count > 0)
                    yield return (path, s => { var first = o.First().Key; var v = o[first]!.DeepClone(); o.Remove(first); o[s] = v; });
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var index = i;
                    var field = $"{path}[{i}]";
                    if (a[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                        yield return (field, s => a[index] = s);
                    else if (a[i] is not null)
                        foreach (var inner in Strings(a[i]!, field))
                            yield return inner;
                }
                break;
        }
    }

    /// <summary>The string properties of a body type and of the types it nests, by camelCase path (lists without an index).</summary>
    private static IEnumerable<string> TextProperties(Type type, string path = "", int depth = 0)
    {
        if (depth > 4)
            yield break;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var field = path.Length == 0 ? name : $"{path}.{name}";
            var t = property.PropertyType;
            var element = t.IsGenericType && t.GetGenericArguments() is [var only] && typeof(System.Collections.IEnumerable).IsAssignableFrom(t) ? only : null;
            if (t == typeof(string) || element == typeof(string) || t == typeof(IReadOnlyDictionary<string, string>))
                yield return field;
            else if (element is { IsClass: true } && element.Namespace?.StartsWith("EdgePortal", StringComparison.Ordinal) == true)
                foreach (var inner in TextProperties(element, field, depth + 1))
                    yield return inner;
            else if (t.IsClass && t.Namespace?.StartsWith("EdgePortal", StringComparison.Ordinal) == true)
                foreach (var inner in TextProperties(t, field, depth + 1))
                    yield return inner;
        }
    }

    private static string WithoutIndexes(string field) => System.Text.RegularExpressions.Regex.Replace(field, @"\[\d+\]", "");

    [Fact]
    public void Samples_CoverEveryEndpointWithABodyAndEveryTextPropertyOfIt()
    {
        var samples = Samples();
        var ids = new Ids(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        foreach (var (key, _, _, body) in BodyEndpoints())
        {
            Assert.True(samples.ContainsKey(key), $"{key} takes a {body.Name} but has no sample in {nameof(InputLengthTests)}: add one, so its text fields are checked.");
            var covered = Strings(samples[key](ids), "").Select(s => WithoutIndexes(s.Field)).ToHashSet();
            foreach (var property in TextProperties(body))
                Assert.True(covered.Contains(property), $"The sample of {key} leaves out {property} of {body.Name}.");
        }
    }

    [Fact]
    public async Task EveryTextField_FarOverItsLimit_Is400NamingTheField()
    {
        var ids = await MakeIdsAsync();
        var samples = Samples();
        var failures = new List<string>();
        foreach (var (key, method, pattern, _) in BodyEndpoints())
        {
            var path = Path(pattern, ids);
            var count = Strings(samples[key](ids), "").Count();
            for (var i = 0; i < count; i++)
            {
                var body = samples[key](ids);
                var (field, set) = Strings(body, "").ElementAt(i);
                set(Huge);
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
                using var response = await Client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var named = response.StatusCode == HttpStatusCode.BadRequest
                    && JsonNode.Parse(text)?["errors"] is JsonObject errors
                    && errors.Any(e => e.Key == field || e.Key == WithoutIndexes(field) || field.StartsWith(e.Key + "[", StringComparison.Ordinal) || field.StartsWith(e.Key + ".", StringComparison.Ordinal));
                if (!named)
                    failures.Add($"{key} with {field} of {Huge.Length} characters: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
                else if (text.Contains(Huge, StringComparison.Ordinal))
                    failures.Add($"{key} echoes all of {field} back.");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task ClusterName_InTheRouteFarOverTheLimit_Is400NamingName()
    {
        var body = Samples()["PUT /api/v1/clusters/{name}"](new Ids(Guid.Empty, Guid.Empty, Guid.Empty));

        var response = await Client.PutAsJsonAsync($"/api/v1/clusters/{new string('c', 500)}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("name", out _));
    }
}
