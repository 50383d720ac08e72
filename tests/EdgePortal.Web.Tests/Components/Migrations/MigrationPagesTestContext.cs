using Bunit;
using Bunit.TestDoubles;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;

namespace EdgePortal.Web.Tests.Components.Migrations;

/// <summary>
/// What the live migration pages need, over the demo edge: MudBlazor's services and loose JS interop; in-memory
/// inventory and migrations (the repository hands out copies, as LiteDB does); a fixed clock; a
/// <see cref="ChannelMigrationEventStream"/> the test publishes to (and that the engine and the coordinator publish
/// to); a real <see cref="MigrationEngine"/> that is never started (it queues and cancels, it runs nothing) and a
/// real <see cref="MigrationCoordinator"/> planning over the demo edge.
/// </summary>
public abstract class MigrationPagesTestContext : PortalTestContext
{
    protected MigrationPagesTestContext()
    {
        Services.AddSingleton<IMigrationEventPublisher>(Events);
        Services.AddMetrics();
        Services.TryAddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
        Services.AddOptions<EngineOptions>();
        Services.AddSingleton<MigrationMetrics>();
        Services.AddSingleton<IMigrationLeaseStore>(new InMemoryMigrationLeaseStore(Migrations));
        Services.AddSingleton<MigrationEngine>();
        Services.AddSingleton<MigrationCoordinator>();
    }

    internal ChannelMigrationEventStream Stream => Events;

    internal InMemoryMigrationRepository Repository => Migrations;

    protected MigrationEngine Engine => Services.GetRequiredService<MigrationEngine>();

    protected MigrationCoordinator Coordinator => Services.GetRequiredService<MigrationCoordinator>();

    protected ServiceInstance DemoService(string name) => Demo.Services.Single(s => s.Name == name);

    protected string NodeName(NodeId id) => Demo.Nodes.Single(n => n.Id == id).Name;

    /// <summary>Plans and queues a migration of <paramref name="service"/> through the coordinator, as the API would (a target miss accepted).</summary>
    protected Migration Queue(string service)
    {
        var result = Coordinator.Start(new MigrationRequest { ServiceId = DemoService(service).Id, RequestedBy = "tester", AcceptTargetMiss = true });
        return Assert.IsType<MigrationRequestResult.Accepted>(result).Migration;
    }

    /// <summary>Stores the migration as it is now and publishes what happened to it: what the engine's commit does.</summary>
    protected void Commit(Migration migration)
    {
        Repository.Save(migration);
        Stream.Publish(migration.DequeueEvents());
    }

    /// <summary>Waits until <paramref name="count"/> pages listen, so that what the test publishes next reaches them.</summary>
    protected void WaitForSubscribers<TComponent>(IRenderedComponent<TComponent> cut, int count = 1)
        where TComponent : Microsoft.AspNetCore.Components.IComponent
        => cut.WaitForAssertion(() => Assert.Equal(count, Stream.SubscriberCount));

    /// <summary>An element's text as a reader sees it: runs of white space (line breaks between elements) as one space.</summary>
    protected static string Text(AngleSharp.Dom.IElement element)
        => System.Text.RegularExpressions.Regex.Replace(element.TextContent, @"\s+", " ").Trim();
}
