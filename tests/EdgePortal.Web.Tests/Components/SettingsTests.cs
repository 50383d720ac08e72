using Bunit;
using EdgePortal.Storage;
using EdgePortal.Web.Components.Pages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

/// <summary>Settings shows the real database file: these tests open a LiteDB file in a temp folder.</summary>
public sealed class SettingsTests : PortalTestContext, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-settings-").FullName;

    public SettingsTests()
    {
        // Registered by factory so the container disposes (closes) the file with the context.
        Services.AddSingleton(_ => new EdgeDatabase(Path.Combine(_folder, "portal.db"), NullLogger<EdgeDatabase>.Instance));
        Render<MudPopoverProvider>();
    }

    [Fact]
    public void Render_Always_ShowsDatabaseFileAndSchemaVersion()
    {
        var cut = Render<Settings>();

        Assert.Equal(Path.Combine(_folder, "portal.db"), cut.Find("code").TextContent);
        Assert.Contains(cut.FindAll("tr"), r => r.TextContent.Contains("Schema version") && r.TextContent.Contains(EdgeDatabase.CurrentVersion.ToString()));
    }

    [Fact]
    public void Render_DemoEdge_ShowsTenantsWithTheirAllowedClusterNames()
    {
        var cut = Render<Settings>();

        var arena = cut.FindAll("tr").Single(r => r.TextContent.Contains("ARena Play"));
        Assert.Contains("MinResources", arena.TextContent);
        Assert.Contains("torino-centro, torino-lingotto", arena.TextContent);
        Assert.DoesNotContain("torino-nord", arena.TextContent);
    }

    [Fact]
    public void Render_Always_ShowsTheModelParametersTheDesignerUses()
    {
        var cut = Render<Settings>();

        var table = cut.Find("[aria-label='Migration model parameters']");
        Assert.Contains(table.QuerySelectorAll("tr"), r => r.TextContent.Contains("T_add") && r.TextContent.Contains("241 ms"));
        Assert.Contains(table.QuerySelectorAll("tr"), r => r.TextContent.Contains("ψ · ω") && r.TextContent.Contains("60 ms"));
    }

    void IDisposable.Dispose()
    {
        // Runs after IAsyncLifetime.DisposeAsync has closed the file.
        Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
