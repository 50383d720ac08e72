using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePortal.Core.Security;
using EdgePortal.Web.Tests.Hosting;

namespace EdgePortal.Web.Tests.Api;

/// <summary>
/// The contract of <c>POST /api/v1/calibrations</c> and <c>GET /api/v1/calibrations</c>: samples in, fit out and stored, a plan
/// of that host class naming the calibration it used, and 400 naming the field for samples that cannot be fitted.
/// </summary>
public sealed class CalibrationsApiTests : PortalTest
{
    private const string Calibrations = "/api/v1/calibrations";
    /// <summary>ar-anchors of the demo edge, on sud-nichelino (host class edge-small).</summary>
    private const string ArAnchors = "39e1d528-90de-5fca-9436-3a1b7168d38d";


    /// <summary>Six Cold migrations on a host with dump 20 ms + 1.5 ns/B, restore 50 ms + 0.6 ns/B and 80 ms of runtime overhead, ±3%.</summary>
    private static JsonObject Body(string hostClass = "edge-small", IEnumerable<long>? sizes = null)
    {
        var samples = new JsonArray();
        foreach (var size in sizes ?? [1_048_576, 10_485_760, 52_428_800])
            foreach (var k in new[] { 0.97, 1.03 })
            {
                var dump = k * (20 + 1.5e-6 * size);
                var restore = k * (50 + 6e-7 * size);
                samples.Add(new JsonObject
                {
                    ["stateSizeBytes"] = size,
                    ["dirtyPagesPerSecond"] = 1000,
                    ["dumpMs"] = dump,
                    ["pagesWritten"] = 40 + 2.44e-4 * size,
                    ["restoreMs"] = restore,
                    ["downtimeMs"] = dump + restore + 80,
                });
            }
        return new JsonObject { ["hostClass"] = hostClass, ["host"] = "lab/h1 (loop back)", ["samples"] = samples };
    }

    [Fact]
    public async Task Post_ValidSamples_Returns201WithTheFitAndStoresIt()
    {
        var response = await Client.PostAsJsonAsync(Calibrations, Body());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("edge-small", created["hostClass"]!.GetValue<string>());
        var fit = created["fit"]!;
        Assert.InRange(fit["parameters"]!["runtimeOverheadMs"]!.GetValue<double>(), 70, 90);
        Assert.True(fit["downtimeRSquared"]!.GetValue<double>() > 0.99);
        Assert.Equal(6, fit["points"]!.AsArray().Count);
        Assert.Contains(fit["estimates"]!.AsArray(), e => e!["symbol"]!.GetValue<string>() == "ξ(Rmax)" && !e["fitted"]!.GetValue<bool>());
        Assert.Equal($"{Calibrations}/{created["id"]}", response.Headers.Location!.OriginalString);

        var listed = JsonNode.Parse(await Client.GetStringAsync(Calibrations))!.AsArray();
        Assert.Equal(created["id"]!.GetValue<string>(), Assert.Single(listed)!["id"]!.GetValue<string>());
        var audit = JsonNode.Parse(await Client.GetStringAsync($"/api/v1/audit?action={AuditActions.CalibrationSave}"))!.AsArray();
        Assert.Contains("host class edge-small", Assert.Single(audit)!["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_ThenPlanAServiceOfThatHostClass_TheRationaleNamesTheCalibration()
    {
        (await Client.PostAsJsonAsync(Calibrations, Body())).EnsureSuccessStatusCode();

        var plan = JsonNode.Parse(await (await Client.PostAsJsonAsync($"/api/v1/services/{ArAnchors}/plan", new JsonObject())).Content.ReadAsStringAsync())!;

        Assert.Contains("Model parameters: calibration of host class 'edge-small' (lab/h1 (loop back)", plan["rationale"]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_ThenWhatIfOnThatHostClass_PlansWithTheCalibrationAndNamesIt()
    {
        (await Client.PostAsJsonAsync(Calibrations, Body())).EnsureSuccessStatusCode();
        var whatIf = new JsonObject
        {
            ["stateSizeBytes"] = 10_000_000, ["dirtyRateNormalized"] = 0, ["bandwidthBitsPerSecond"] = 1e9,
            ["maxDowntimeMs"] = 2_000, ["maxMigrationTimeMs"] = 5_000, ["objective"] = "MinDowntime",
        };

        var paper = JsonNode.Parse(await (await Client.PostAsJsonAsync("/api/v1/plans/what-if", whatIf)).Content.ReadAsStringAsync())!;
        whatIf["hostClass"] = "EDGE-SMALL";
        var response = await Client.PostAsJsonAsync("/api/v1/plans/what-if", whatIf);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var calibrated = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains("Model parameters: calibration of host class 'edge-small' (lab/h1 (loop back)", calibrated["rationale"]!.GetValue<string>());
        Assert.DoesNotContain("Model parameters", paper["rationale"]!.GetValue<string>());
        // This host adds ~80 ms to the stop-and-copy where the paper's adds 241 ms: the same worked example stops for less.
        Assert.True(calibrated["plan"]!["predictedDowntimeMs"]!.GetValue<double>() < paper["plan"]!["predictedDowntimeMs"]!.GetValue<double>() - 100,
            $"calibrated {calibrated["plan"]!["predictedDowntimeMs"]} ms, paper {paper["plan"]!["predictedDowntimeMs"]} ms");
    }

    [Fact]
    public async Task Post_SingleStateSize_Returns400NamingSamples()
    {
        var response = await Client.PostAsJsonAsync(Calibrations, Body(sizes: [10_485_760, 10_485_760]));

        var errors = await ErrorsAsync(response);
        Assert.Contains("at least two state sizes", errors["samples"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_TooFewSamples_Returns400NamingTheMinimum()
    {
        var body = Body();
        var samples = body["samples"]!.AsArray();
        while (samples.Count > 2)
            samples.RemoveAt(1);

        var errors = await ErrorsAsync(await Client.PostAsJsonAsync(Calibrations, body));

        Assert.Contains("at least 3 samples", errors["samples"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Post_BadFields_Returns400NamingEachField()
    {
        var body = Body(hostClass: " ");
        body["samples"]![1]!["dumpMs"] = -1;
        body["samples"]![2]!.AsObject().Remove("downtimeMs");
        body["samples"]![3]!["bandwidthBitsPerSecond"] = 0;

        var errors = await ErrorsAsync(await Client.PostAsJsonAsync(Calibrations, body));

        Assert.Equal(["hostClass", "samples[1].dumpMs", "samples[2].downtimeMs", "samples[3].bandwidthBitsPerSecond"],
            errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Post_SamplesWithReplayAndPostCopyStages_FitsTheirLinesIntoTheParameters()
    {
        var body = Body();
        foreach (var sample in body["samples"]!.AsArray())
        {
            var size = sample!["stateSizeBytes"]!.GetValue<long>();
            sample["liveFreezeMs"] = 10 + 1e-6 * size;
            sample["lazyDumpMs"] = 80;
            sample["lazyRestoreMs"] = 30 + 1e-8 * size;
            sample["pageInMs"] = 50 + 1e-5 * size;
        }

        var response = await Client.PostAsJsonAsync(Calibrations, body);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var fit = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["fit"]!;
        var parameters = fit["parameters"]!;
        Assert.Equal(10, parameters["liveFreezeMs"]!.GetValue<double>(), 6);
        Assert.Equal(1e-6, parameters["liveFreezeMsPerByte"]!.GetValue<double>(), 12);
        Assert.Equal(80, parameters["lazyDumpMs"]!.GetValue<double>(), 6);
        Assert.Equal(50, parameters["pageInMs"]!.GetValue<double>(), 6);
        Assert.Equal(["T_f", "T_ld", "T_lr", "W_c"], fit["stages"]!.AsArray().Select(s => s!["symbol"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Post_NegativeStageTime_Returns400NamingIt()
    {
        var body = Body();
        body["samples"]![4]!["liveFreezeMs"] = -3;

        var errors = await ErrorsAsync(await Client.PostAsJsonAsync(Calibrations, body));

        Assert.Equal(["samples[4].liveFreezeMs"], errors.Select(e => e.Key));
    }

    [Fact]
    public async Task Post_WrongType_Returns400NamingThePath()
    {
        var json = Body().ToJsonString().Replace("\"dirtyPagesPerSecond\":1000", "\"dirtyPagesPerSecond\":\"fast\"", StringComparison.Ordinal);

        var errors = await ErrorsAsync(await Client.PostAsync(Calibrations, new StringContent(json, Encoding.UTF8, "application/json")));

        Assert.Contains(errors, e => e.Key.Contains("dirtyPagesPerSecond", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Get_BadLimit_Returns400NamingIt()
    {
        var errors = await ErrorsAsync(await Client.GetAsync($"{Calibrations}?limit=0"));

        Assert.True(errors.ContainsKey("limit"));
    }

    private static async Task<JsonObject> ErrorsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync(), documentOptions: new JsonDocumentOptions())!;
        return problem["errors"]!.AsObject();
    }
}
