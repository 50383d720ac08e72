using EdgePortal.Core.Domain;
using EdgePortal.Web.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace EdgePortal.Web.Live;

/// <summary>What the hub calls on its clients.</summary>
public interface IMigrationHubClient
{
    /// <summary>A batch of events, in order, for a tenant or a migration the client subscribed to.</summary>
    Task MigrationEvents(IReadOnlyList<MigrationEvent> events);
}

/// <summary>
/// <c>/hubs/migrations</c>: external clients follow migrations live. A client joins a tenant's group
/// (every migration of the tenant) or one migration's group; the forwarder pushes each batch of
/// events to both groups, so a client should join one or the other, not both.
/// </summary>
[Authorize(Policy = PortalPolicies.Viewer)]
public sealed class MigrationHub(IInventoryRepository inventory, IMigrationRepository migrations) : Hub<IMigrationHubClient>
{
    public static string TenantGroup(TenantId tenant) => $"tenant:{tenant}";

    public static string MigrationGroup(MigrationId migration) => $"migration:{migration}";

    private TenantScope Scope => TenantScope.Of(Context.User ?? new System.Security.Claims.ClaimsPrincipal());

    /// <summary>Receive every event of a tenant's migrations.</summary>
    public async Task SubscribeTenant(Guid tenantId)
    {
        // Another tenant's id is answered like an unknown one: a tenant principal cannot learn which tenants exist.
        if (inventory.FindTenant(TenantId.From(tenantId)) is null || !Scope.Sees(TenantId.From(tenantId)))
            throw new HubException($"No tenant has id {tenantId}.");
        await Groups.AddToGroupAsync(Context.ConnectionId, TenantGroup(TenantId.From(tenantId)));
    }

    public Task UnsubscribeTenant(Guid tenantId)
        => Groups.RemoveFromGroupAsync(Context.ConnectionId, TenantGroup(TenantId.From(tenantId)));

    /// <summary>Receive the events of one migration.</summary>
    public async Task SubscribeMigration(Guid migrationId)
    {
        if (migrations.Find(MigrationId.From(migrationId)) is not { } migration || !Scope.Sees(migration.TenantId))
            throw new HubException($"No migration has id {migrationId}.");
        await Groups.AddToGroupAsync(Context.ConnectionId, MigrationGroup(MigrationId.From(migrationId)));
    }

    public Task UnsubscribeMigration(Guid migrationId)
        => Groups.RemoveFromGroupAsync(Context.ConnectionId, MigrationGroup(MigrationId.From(migrationId)));
}
