using Bunit;
using EdgePortal.Core.Domain;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Storage;
using EdgePortal.Web.Components.Pages;
using EdgePortal.Web.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;

namespace EdgePortal.Web.Tests.Components;

/// <summary>The Tenants page over the demo edge, with the real administration service (accounts and keys in a temp LiteDB file).</summary>
public sealed class TenantsPageTests : PortalTestContext, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-tenants-").FullName;

    public TenantsPageTests()
    {
        // Registered by factory so the container disposes (closes) the file with the context.
        Services.AddSingleton(_ => new EdgeDatabase(Path.Combine(_folder, "portal.db"), NullLogger<EdgeDatabase>.Instance));
        Services.AddSecurityRepositories();
        Services.AddOptions<SecurityOptions>();
        Services.AddSingleton<AccountService>();
        Services.AddSingleton<ApiKeyService>();
        Services.AddSingleton<AccessChanges>();
        Services.AddSingleton<UserAdministration>();
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
    }

    [Fact]
    public void Render_NoTenants_SaysToCreateTheFirst()
    {
        Inventory.Clear();

        var cut = Render<Tenants>();

        Assert.Contains("create the first below", cut.Find(".no-tenants").TextContent);
    }

    [Fact]
    public void Create_NameTyped_ListedStoredAndTheFormEmptied()
    {
        var cut = Render<Tenants>();

        cut.Find("#new-tenant-name").Change("Harbour Drones");
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Create tenant").Click();

        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("tbody td"), td => td.TextContent.Trim() == "Harbour Drones"));
        var stored = Assert.Single(Inventory.Tenants(), t => t.Name == "Harbour Drones");
        Assert.Empty(stored.AllowedClusters);
        Assert.Contains(SnackbarMessages(), m => m.StartsWith("Created the tenant Harbour Drones", StringComparison.Ordinal));
        Assert.Equal("", cut.Find("#new-tenant-name").GetAttribute("value") ?? "");
    }

    [Fact]
    public void Create_NameTaken_SnackbarSaysWhyAndNothingIsAdded()
    {
        var cut = Render<Tenants>();
        var before = Inventory.Tenants().Count;

        cut.Find("#new-tenant-name").Change("skyfleet drones");
        cut.FindAll("button").Single(b => b.TextContent.Trim() == "Create tenant").Click();

        cut.WaitForAssertion(() => Assert.Contains(SnackbarMessages(), m => m == "name: A tenant named 'SkyFleet Drones' exists already."));
        Assert.Equal(before, Inventory.Tenants().Count);
    }

    [Fact]
    public void Save_ClusterLeftOutWhereItsServicesRun_RefusedWithTheServicesNamed()
    {
        var cut = Render<Tenants>();
        var before = Inventory.FindTenant(DemoEdge.SkyFleet)!.AllowedClusters;
        var select = cut.FindComponents<MudSelect<Guid>>().Single(s => s.Markup.Contains("Allowed clusters of SkyFleet Drones", StringComparison.Ordinal));

        cut.InvokeAsync(() => select.Instance.SelectedValuesChanged.InvokeAsync([]));
        cut.FindAll("button").Single(b => b.GetAttribute("aria-label") == "Save SkyFleet Drones").Click();

        cut.WaitForAssertion(() => Assert.Contains(SnackbarMessages(), m => m.StartsWith("allowedClusters: SkyFleet Drones still runs services", StringComparison.Ordinal)
            && m.Contains("geofence-cache", StringComparison.Ordinal)));
        Assert.Equal(before, Inventory.FindTenant(DemoEdge.SkyFleet)!.AllowedClusters);
    }

    void IDisposable.Dispose()
    {
        // Runs after IAsyncLifetime.DisposeAsync has closed the file.
        Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
