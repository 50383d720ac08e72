using Bunit;
using Bunit.TestDoubles;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Limits;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;

namespace EdgePortal.Web.Tests.Components;

/// <summary>
/// A bUnit context with what the portal's pages inject: MudBlazor's services, loose JS interop, a real
/// <see cref="InventoryReader"/> over in-memory repositories seeded with <see cref="DemoEdge"/>, and a clock standing still (<see cref="FakeTimeProvider"/>).
/// </summary>
public abstract class PortalTestContext : BunitContext, IAsyncLifetime
{
    /// <summary>Noon UTC on a fixed day, so "today" does not depend on when the test runs.</summary>
    protected static readonly DateTimeOffset Now = new(2026, 3, 14, 12, 0, 0, TimeSpan.Zero);

    protected PortalTestContext()
    {
        Demo = DemoEdge.Build();
        Inventory = new InMemoryInventoryRepository(Demo);
        Migrations = new InMemoryMigrationRepository();

        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton<IInventoryRepository>(Inventory);
        Services.AddSingleton<IMigrationRepository>(Migrations);
        Services.AddSingleton<InventoryReader>();
        // What the clusters' runtimes can do: the demo edge's simulated runtime, probed on the page's clock.
        SimulatedRuntime = new SimulatedEdgeRuntime(new SimulatedEdge(), Microsoft.Extensions.Options.Options.Create(new SimulatorOptions()), Clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SimulatedEdgeRuntime>.Instance, Inventory);
        Capabilities = new RuntimeCapabilityCatalog(Inventory, [SimulatedRuntime], new FixedOptions<CapabilityOptions>(new CapabilityOptions()), Clock,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RuntimeCapabilityCatalog>.Instance);
        Services.AddSingleton(Capabilities);
        Services.AddSingleton<CapabilitiesReader>();
        Services.AddSingleton<IMigrationEventStream>(Events);
        Authorization = AddAuthorization();
        Authorization.SetAuthorized("test-admin");
        Authorization.SetRoles(PortalRoles.ProviderAdmin);
        Services.AddScoped<CurrentTenant>();
        Services.AddSingleton<IAuditLog>(AuditLog);
        Services.AddSingleton<AuditTrail>();
        // The use cases the pages share with the API, with the default limits; each resolves only when a page injects it.
        Services.AddEdgePortalLimits(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        Services.AddEdgePortalUseCases();
    }

    /// <summary>The clock the pages read; it stands still unless a test advances it.</summary>
    internal FakeTimeProvider Clock { get; } = new(Now);

    /// <summary>The runtime of the demo edge's (simulated) clusters.</summary>
    internal SimulatedEdgeRuntime SimulatedRuntime { get; }

    /// <summary>What the clusters' runtimes can do, as the pages read it; empty until a test probes.</summary>
    internal RuntimeCapabilityCatalog Capabilities { get; }

    /// <summary>The live stream the pages follow; a test publishes into it.</summary>
    internal ChannelMigrationEventStream Events { get; } = new();

    /// <summary>The demo edge as built, to derive expectations from independently of the pages.</summary>
    internal EdgeInventory Demo { get; }

    internal InMemoryInventoryRepository Inventory { get; }

    /// <summary>The migrations the pages read; every read is a copy of what was saved, as LiteDB hands out.</summary>
    internal InMemoryMigrationRepository Migrations { get; }

    /// <summary>What the pages wrote to the audit log.</summary>
    internal InMemoryAuditLog AuditLog { get; } = new();

    /// <summary>Who the pages see as signed in: a provider admin unless a test signs in someone else.</summary>
    protected BunitAuthorizationContext Authorization { get; }

    /// <summary>What the page said in snackbars, oldest first.</summary>
    protected IReadOnlyList<string> SnackbarMessages()
        => [.. Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars.Select(s => s.Message ?? "")];

    /// <summary>Signs in a user of <paramref name="tenant"/> with <paramref name="role"/> instead.</summary>
    protected void SignInTenantUser(TenantId tenant, string role = PortalRoles.TenantOperator)
    {
        Authorization.SetAuthorized($"tenant-{role}");
        Authorization.SetRoles(role);
        Authorization.SetClaims(new System.Security.Claims.Claim(PortalPolicies.TenantClaim, tenant.ToString()));
    }

    /// <summary>
    /// The pages run in an interactive server circuit (a test of a prerender sets its own). Set here, after every
    /// constructor has added its services: setting it builds the renderer, after which no service can be added.
    /// </summary>
    Task IAsyncLifetime.InitializeAsync()
    {
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
        return Task.CompletedTask;
    }

    /// <summary>
    /// xUnit 2 only calls <see cref="IDisposable.Dispose"/>, but MudBlazor registers services that are only
    /// <see cref="IAsyncDisposable"/>: dispose asynchronously first (the later sync Dispose is then a no-op).
    /// </summary>
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
