using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Web.Tests.Hosting;

namespace EdgePortal.Web.Tests.Api;

/// <summary>One portal on a temp LiteDB file with the demo edge seeded; the plan endpoints only read, so the tests share it.</summary>
public sealed class PlansPortal : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private PortalFactory? _factory;

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        _factory = new PortalFactory(_folder.File("plans.db"));
        Client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_factory is not null)
            await _factory.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>
/// The contract of <c>POST /api/v1/plans/what-if</c> and <c>POST /api/v1/services/{id}/plan</c>: the JSON shape,
/// the worked example of docs/migration-model.md, and a 400 naming the field for every kind of bad input.
/// </summary>
public sealed class PlansApiTests(PlansPortal portal) : IClassFixture<PlansPortal>
{
    private const string WhatIf = "/api/v1/plans/what-if";

    private HttpClient Client => portal.Client;

    /// <summary>The worked example: 10 MB, r = 0, 1 Gbit/s, θ_down = 2 s, θ_mig = 5 s, MinDowntime.</summary>
    private static JsonObject WorkedExample() => new()
    {
        ["stateSizeBytes"] = 10_000_000,
        ["dirtyRateNormalized"] = 0,
        ["bandwidthBitsPerSecond"] = 1e9,
        ["maxDowntimeMs"] = 2_000,
        ["maxMigrationTimeMs"] = 5_000,
        ["objective"] = "MinDowntime",
    };

    [Fact]
    public async Task WhatIf_ValidRequest_Returns200WithPlanAndEveryStrategy()
    {
        var response = await Client.PostAsJsonAsync(WhatIf, WorkedExample());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await ReadAsync(response);
        var plan = json.GetProperty("plan");
        Assert.Equal(JsonValueKind.String, plan.GetProperty("strategy").ValueKind);
        Assert.True(plan.GetProperty("steps").GetArrayLength() > 0);
        Assert.Equal(JsonValueKind.True, json.GetProperty("feasible").ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("rationale").GetString()));
        Assert.True(json.TryGetProperty("bindingConstraint", out _));
        var strategies = json.GetProperty("strategies");
        Assert.Equal(6, strategies.GetArrayLength());
        Assert.Equal(["Cold", "PreCopy", "IterativePreCopy", "MessageReplay", "ReplayWithCutoff", "PostCopy"],
            strategies.EnumerateArray().Select(s => s.GetProperty("strategy").GetString()));
        foreach (var strategy in strategies.EnumerateArray())
            foreach (var field in new[] { "predictedDowntimeMs", "predictedMigrationTimeMs", "iterations", "minBandwidthBitsPerSecond",
                         "feasible", "reason", "reservedBandwidthBitsPerSecond", "cutoffMs" })
                Assert.True(strategy.TryGetProperty(field, out _), $"strategies[].{field} is missing");
    }

    [Fact]
    public async Task WhatIf_WorkedExampleMinDowntime_ChoosesFeasibleIterativePreCopy()
    {
        var json = await ReadAsync(await Client.PostAsJsonAsync(WhatIf, WorkedExample()));

        var plan = json.GetProperty("plan");
        Assert.Equal("IterativePreCopy", plan.GetProperty("strategy").GetString());
        Assert.True(plan.GetProperty("feasible").GetBoolean());
        // T_down ≈ 906.8 ms (docs/migration-model.md §2), reserving the whole gigabit.
        Assert.Equal(906.8, plan.GetProperty("predictedDowntimeMs").GetDouble(), 1);
        Assert.Equal(1e9, plan.GetProperty("reservedBandwidth").GetProperty("bitsPerSecond").GetDouble());
        var iterative = Strategy(json, "IterativePreCopy");
        Assert.True(iterative.GetProperty("feasible").GetBoolean());
        Assert.True(iterative.GetProperty("iterations").GetInt32() >= 1);
        Assert.Contains("the destination", json.GetProperty("rationale").GetString());
        Assert.DoesNotContain("Users would see", json.GetProperty("rationale").GetString());
    }

    [Fact]
    public async Task WhatIf_MinResources_ReservesLessBandwidthThanMinDowntime()
    {
        var minResources = WorkedExample();
        minResources["objective"] = "MinResources";

        var md = await ReadAsync(await Client.PostAsJsonAsync(WhatIf, WorkedExample()));
        var mr = await ReadAsync(await Client.PostAsJsonAsync(WhatIf, minResources));

        Assert.True(mr.GetProperty("feasible").GetBoolean());
        var reservedMd = md.GetProperty("plan").GetProperty("reservedBandwidth").GetProperty("bitsPerSecond").GetDouble();
        var reservedMr = mr.GetProperty("plan").GetProperty("reservedBandwidth").GetProperty("bitsPerSecond").GetDouble();
        Assert.True(reservedMr < reservedMd, $"MinResources reserved {reservedMr} bit/s, MinDowntime {reservedMd} bit/s");
    }

    [Fact]
    public async Task WhatIf_TightTargets_InfeasibleWithRationaleNamingBindingConstraint()
    {
        var tight = WorkedExample();
        tight["maxDowntimeMs"] = 100;
        tight["maxMigrationTimeMs"] = 200;

        var response = await Client.PostAsJsonAsync(WhatIf, tight);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await ReadAsync(response);
        Assert.False(json.GetProperty("feasible").GetBoolean());
        Assert.False(json.GetProperty("plan").GetProperty("feasible").GetBoolean());
        var binding = json.GetProperty("bindingConstraint").GetString();
        Assert.False(string.IsNullOrEmpty(binding));
        var rationale = json.GetProperty("rationale").GetString()!;
        Assert.Contains("No strategy can meet", rationale);
        Assert.Contains(binding!, rationale);
        Assert.All(json.GetProperty("strategies").EnumerateArray(), s => Assert.False(s.GetProperty("feasible").GetBoolean()));
    }

    [Fact]
    public async Task WhatIf_OptionalFields_AreHonoured()
    {
        var request = WorkedExample();
        request["iterations"] = 3;
        request["runtimeOverheadMs"] = 0;
        request["messageArrivalRate"] = 100;
        request["messageProcessingRate"] = 400;

        var json = await ReadAsync(await Client.PostAsJsonAsync(WhatIf, request));

        Assert.Equal(3, Strategy(json, "IterativePreCopy").GetProperty("iterations").GetInt32());
        // T_add = 0 takes the 241 ms of the worked example off the stop-and-copy: 906.8 − 241 = 665.8 ms.
        Assert.Equal(665.8, Strategy(json, "IterativePreCopy").GetProperty("predictedDowntimeMs").GetDouble(), 1);
        // With a message stream the replay strategies apply.
        Assert.True(Strategy(json, "MessageReplay").GetProperty("applicable").GetBoolean());
    }

    public static TheoryData<string, string> BadInputs() => new()
    {
        // missing each required field
        { """{"dirtyRateNormalized":0,"bandwidthBitsPerSecond":1e9,"maxDowntimeMs":2000,"maxMigrationTimeMs":5000,"objective":"MinDowntime"}""", "stateSizeBytes" },
        { """{"stateSizeBytes":1e7,"bandwidthBitsPerSecond":1e9,"maxDowntimeMs":2000,"maxMigrationTimeMs":5000,"objective":"MinDowntime"}""", "dirtyRateNormalized" },
        { """{"stateSizeBytes":1e7,"dirtyRateNormalized":0,"maxDowntimeMs":2000,"maxMigrationTimeMs":5000,"objective":"MinDowntime"}""", "bandwidthBitsPerSecond" },
        { """{"stateSizeBytes":1e7,"dirtyRateNormalized":0,"bandwidthBitsPerSecond":1e9,"maxMigrationTimeMs":5000,"objective":"MinDowntime"}""", "maxDowntimeMs" },
        { """{"stateSizeBytes":1e7,"dirtyRateNormalized":0,"bandwidthBitsPerSecond":1e9,"maxDowntimeMs":2000,"objective":"MinDowntime"}""", "maxMigrationTimeMs" },
        { """{"stateSizeBytes":1e7,"dirtyRateNormalized":0,"bandwidthBitsPerSecond":1e9,"maxDowntimeMs":2000,"maxMigrationTimeMs":5000}""", "objective" },
        // out of range
        { Body("stateSizeBytes", "-1"), "stateSizeBytes" },
        { Body("stateSizeBytes", "0"), "stateSizeBytes" },
        { Body("bandwidthBitsPerSecond", "0"), "bandwidthBitsPerSecond" },
        { Body("bandwidthBitsPerSecond", "-5"), "bandwidthBitsPerSecond" },
        { Body("dirtyRateNormalized", "-0.1"), "dirtyRateNormalized" },
        { Body("dirtyRateNormalized", "1.5"), "dirtyRateNormalized" },
        { Body("maxDowntimeMs", "0"), "maxDowntimeMs" },
        { Body("maxMigrationTimeMs", "-100"), "maxMigrationTimeMs" },
        { Body("runtimeOverheadMs", "-1"), "runtimeOverheadMs" },
        { Body("messageArrivalRate", "-1", "messageProcessingRate", "10"), "messageArrivalRate" },
        // not finite: DomainJson reads the named literals, the validator rejects them
        { Body("stateSizeBytes", "\"NaN\""), "stateSizeBytes" },
        { Body("bandwidthBitsPerSecond", "\"Infinity\""), "bandwidthBitsPerSecond" },
        { Body("dirtyRateNormalized", "\"NaN\""), "dirtyRateNormalized" },
        { Body("maxDowntimeMs", "\"Infinity\""), "maxDowntimeMs" },
        { Body("maxMigrationTimeMs", "\"-Infinity\""), "maxMigrationTimeMs" },
        // enums and integers
        { Body("objective", "\"Fastest\""), "objective" },
        { Body("objective", "\"\""), "objective" },
        { Body("iterations", "-1"), "iterations" },
        { Body("iterations", "11"), "iterations" },
        // only one of the two message rates
        { Body("messageArrivalRate", "100"), "messageProcessingRate" },
        { Body("messageProcessingRate", "100"), "messageArrivalRate" },
        // wrong JSON types
        { Body("stateSizeBytes", "\"ten megabytes\""), "stateSizeBytes" },
        { Body("bandwidthBitsPerSecond", "true"), "bandwidthBitsPerSecond" },
        { Body("iterations", "2.5"), "iterations" },
        { Body("objective", "1"), "objective" },
        // a host class nobody calibrated (this portal has no calibration), and a wrong type
        { Body("hostClass", "\"edge-small\""), "hostClass" },
        { Body("hostClass", "7"), "hostClass" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task WhatIf_BadInput_Returns400NamingTheField(string body, string field)
    {
        var response = await Client.PostAsync(WhatIf, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = await ReadAsync(response);
        Assert.Equal(400, json.GetProperty("status").GetInt32());
        var errors = json.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"errors names {string.Join(", ", errors.EnumerateObject().Select(e => e.Name))}, not {field}");
        Assert.Contains(field, messages[0].GetString());
    }

    [Fact]
    public async Task WhatIf_EveryFieldWrong_NamesEachField()
    {
        var body = """{"stateSizeBytes":-1,"dirtyRateNormalized":2,"bandwidthBitsPerSecond":0,"maxDowntimeMs":0,"maxMigrationTimeMs":0,"objective":"Never"}""";

        var response = await Client.PostAsync(WhatIf, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await ReadAsync(response)).GetProperty("errors");
        Assert.Equal(["bandwidthBitsPerSecond", "dirtyRateNormalized", "maxDowntimeMs", "maxMigrationTimeMs", "objective", "stateSizeBytes"],
            errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WhatIf_NoBody_Returns400()
    {
        var response = await Client.PostAsync(WhatIf, new StringContent("null", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ReadAsync(response)).GetProperty("errors").TryGetProperty("body", out _));
    }

    [Fact]
    public async Task PlanService_DemoService_Returns200WithDestinationAndPlacement()
    {
        var id = await ServiceIdAsync("flight-control");

        var response = await Client.PostAsync($"/api/v1/services/{id}/plan", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await ReadAsync(response);
        Assert.Equal(6, json.GetProperty("strategies").GetArrayLength());
        Assert.Equal(JsonValueKind.String, json.GetProperty("plan").GetProperty("strategy").ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("rationale").GetString()));
        var destination = json.GetProperty("destination");
        Assert.Equal(json.GetProperty("plan").GetProperty("destination").GetString(), destination.GetProperty("node").GetString());
        Assert.False(string.IsNullOrEmpty(destination.GetProperty("name").GetString()));
        var placement = json.GetProperty("placement");
        var candidates = placement.GetProperty("candidates");
        Assert.True(candidates.GetArrayLength() > 0);
        Assert.StartsWith("#1 ", candidates[0].GetProperty("explanation").GetString());
        var excluded = placement.GetProperty("excluded");
        Assert.Contains(excluded.EnumerateArray(), e => e.GetProperty("reason").GetString() == "CurrentNode"
            && e.GetProperty("explanation").GetString()!.Contains("runs there now"));
    }

    [Fact]
    public async Task PlanService_OverriddenTargets_AreUsed()
    {
        var id = await ServiceIdAsync("flight-control");

        var response = await Client.PostAsJsonAsync($"/api/v1/services/{id}/plan",
            new { maxDowntimeMs = 100, maxMigrationTimeMs = 200, objective = "MinResources" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await ReadAsync(response);
        Assert.False(json.GetProperty("feasible").GetBoolean());
        Assert.Contains("θ_down 100 ms", json.GetProperty("rationale").GetString());
    }

    [Fact]
    public async Task PlanService_BadOverride_Returns400NamingTheField()
    {
        var id = await ServiceIdAsync("flight-control");

        var response = await Client.PostAsJsonAsync($"/api/v1/services/{id}/plan", new { strategy = "Teleport" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await ReadAsync(response)).GetProperty("errors").TryGetProperty("strategy", out _));
    }

    [Fact]
    public async Task PlanService_UnknownId_Returns404Problem()
    {
        var response = await Client.PostAsync($"/api/v1/services/{Guid.NewGuid()}/plan", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Service not found", (await ReadAsync(response)).GetProperty("title").GetString());
    }

    /// <summary>The worked example with one field replaced (or added).</summary>
    private static string Body(string field, string json, string? field2 = null, string? json2 = null)
    {
        var values = new Dictionary<string, string>
        {
            ["stateSizeBytes"] = "10000000",
            ["dirtyRateNormalized"] = "0",
            ["bandwidthBitsPerSecond"] = "1000000000",
            ["maxDowntimeMs"] = "2000",
            ["maxMigrationTimeMs"] = "5000",
            ["objective"] = "\"MinDowntime\"",
        };
        values[field] = json;
        if (field2 is not null)
            values[field2] = json2!;
        return "{" + string.Join(",", values.Select(v => $"\"{v.Key}\":{v.Value}")) + "}";
    }

    private static JsonElement Strategy(JsonElement json, string name)
        => json.GetProperty("strategies").EnumerateArray().Single(s => s.GetProperty("strategy").GetString() == name);

    private async Task<string> ServiceIdAsync(string name)
    {
        var services = await Client.GetFromJsonAsync<JsonElement>("/api/v1/services");
        return services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }
}
