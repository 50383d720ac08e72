using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Runtime.Simulated;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>One portal on a fresh temp LiteDB file with the demo edge seeded, shared by the read-only tests below.</summary>
public sealed class SeededPortal : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private PortalFactory? _factory;

    public string DatabasePath => _folder.File("portal.db");

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        _factory = new PortalFactory(DatabasePath);
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

public sealed class PortalHostTests(SeededPortal portal) : IClassFixture<SeededPortal>
{
    private HttpClient Client => portal.Client;

    [Fact]
    public async Task Healthz_Running_Returns200Healthy()
    {
        var response = await Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_DatabaseOpen_Returns200WithHealthyDatabaseCheckOnConfiguredFile()
    {
        var response = await Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var database = json.RootElement.GetProperty("checks").GetProperty("database");
        Assert.Equal("Healthy", database.GetProperty("status").GetString());
        // The setting really reached the app: the check names the temp file, not the appsettings default.
        Assert.Contains(portal.DatabasePath, database.GetProperty("description").GetString());
        Assert.True(File.Exists(portal.DatabasePath));
    }

    [Fact]
    public async Task Root_Get_ReturnsPrerenderedOverviewPage()
    {
        var response = await Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<title>Overview · EdgePortal</title>", html);
        Assert.Matches("<h1[^>]*>Overview</h1>", html);
        Assert.Contains("Main navigation", html);
        Assert.Contains("_framework/blazor.web.js", html);
    }

    [Fact]
    public async Task Root_Get_HeadHasOnlyThePagesTitle()
    {
        var html = await Client.GetStringAsync("/");

        var head = html[..html.IndexOf("</head>", StringComparison.Ordinal)];
        Assert.Equal(["Overview · EdgePortal"], System.Text.RegularExpressions.Regex.Matches(head, "<title>([^<]*)</title>").Select(m => m.Groups[1].Value));
    }

    [Fact]
    public async Task Root_Get_ReferencesStylesheetsAndIconThatAreServed()
    {
        var html = await Client.GetStringAsync("/");

        var assets = System.Text.RegularExpressions.Regex.Matches(html, "<link rel=\"(?:stylesheet|icon)\"[^>]*href=\"([^\"]+)\"")
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(assets, a => a.Contains("edgeportal", StringComparison.Ordinal) && a.EndsWith(".css", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.Contains("favicon", StringComparison.Ordinal));
        foreach (var asset in assets)
        {
            var response = await Client.GetAsync("/" + asset.TrimStart('/'));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset} answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Services_Get_ReturnsTenSeededServicesAsCamelCaseWithEnumsAsStrings()
    {
        var response = await Client.GetAsync("/api/v1/services");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var services = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(10, services.Count);
        Assert.Equal(DemoEdge.Build().Services.Select(s => s.Id.Value).Order(), services.Select(s => s.GetProperty("id").GetGuid()).Order());

        var arAnchors = services.Single(s => s.GetProperty("name").GetString() == "ar-anchors");
        Assert.All(arAnchors.EnumerateObject(), p => Assert.True(char.IsLower(p.Name[0]), $"property {p.Name} is not camelCase"));
        Assert.Equal("ARena Play", arAnchors.GetProperty("tenantName").GetString());
        Assert.Equal("sud-nichelino", arAnchors.GetProperty("nodeName").GetString());
        Assert.Equal(JsonValueKind.String, arAnchors.GetProperty("objective").ValueKind);
        Assert.Equal("MinResources", arAnchors.GetProperty("objective").GetString());
        Assert.True(arAnchors.GetProperty("violatesLatency").GetBoolean());
        Assert.True(arAnchors.GetProperty("profile").TryGetProperty("stateSizeBytes", out _));
        Assert.True(arAnchors.GetProperty("targets").TryGetProperty("maxUserLatencyMs", out _));
    }

    [Fact]
    public async Task Clusters_Get_ReturnsSeededClustersWithKindAsString()
    {
        using var json = JsonDocument.Parse(await Client.GetStringAsync("/api/v1/clusters"));

        var clusters = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["torino-centro", "torino-lingotto", "torino-nord"], clusters.Select(c => c.GetProperty("name").GetString()).Order());
        Assert.All(clusters, c => Assert.Equal("Simulated", c.GetProperty("kind").GetString()));
        Assert.Equal(13, clusters.Sum(c => c.GetProperty("nodes").GetArrayLength()));
        Assert.All(clusters.SelectMany(c => c.GetProperty("nodes").EnumerateArray()), n => Assert.Equal("Ready", n.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task ServiceById_KnownId_ReturnsThatService()
    {
        var id = DemoEdge.Build().Services.Single(s => s.Name == "leaderboard").Id.Value;

        var response = await Client.GetAsync($"/api/v1/services/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var service = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, service.GetProperty("id").GetGuid());
        Assert.Equal("leaderboard", service.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ServiceById_UnknownId_Returns404ProblemDetails()
    {
        var id = Guid.NewGuid();

        var response = await Client.GetAsync($"/api/v1/services/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(404, json.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Service not found", json.RootElement.GetProperty("title").GetString());
        Assert.Contains(id.ToString(), json.RootElement.GetProperty("detail").GetString());
    }
}
