using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// First start: the provider admin from configuration, the bootstrap API key (hashed), and, for the demo, one account
/// per role. Each is written once: an existing account or key is left alone.
/// </summary>
public sealed class SecuritySeeder(AccountService accounts, ApiKeyService keys, IUserRepository users, IApiKeyRepository keyRepository,
    IInventoryRepository inventory, IOptions<SecurityOptions> security, IOptions<DemoUserOptions> demo, ILogger<SecuritySeeder> logger, IReplicaLock? replicaLock = null) : IHostedService
{
    /// <summary>The demo accounts: user name, password, role and tenant (documented in the README).</summary>
    public static IReadOnlyList<(string User, string Password, string Role, TenantId? Tenant)> DemoAccounts { get; } =
    [
        ("admin", "admin-demo-1", PortalRoles.ProviderAdmin, null),
        ("operator", "operator-demo-1", PortalRoles.ProviderOperator, null),
        ("skyfleet-admin", "skyfleet-demo-1", PortalRoles.TenantAdmin, DemoEdge.SkyFleet),
        ("skyfleet-operator", "skyfleet-demo-2", PortalRoles.TenantOperator, DemoEdge.SkyFleet),
        ("arena-viewer", "arena-demo-1", PortalRoles.Viewer, DemoEdge.ArenaPlay),
    ];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Seed();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Seed()
    {
        // Replicas starting together on one fresh database: one creates the accounts and keys, the others find them.
        using var seeding = (replicaLock ?? new InProcessReplicaLock()).Acquire(DemoEdgeSeeder.SeedLock, TimeSpan.FromMinutes(2));
        var settings = security.Value;
        if (!string.IsNullOrWhiteSpace(settings.AdminUser) && !string.IsNullOrEmpty(settings.AdminPassword)
            && users.FindByName(settings.AdminUser) is null)
        {
            accounts.Create(settings.AdminUser, settings.AdminPassword, PortalRoles.ProviderAdmin, null);
            logger.LogInformation("Created the provider admin {User} from {Section}:AdminUser", settings.AdminUser, SecurityOptions.Section);
        }
        if (!string.IsNullOrEmpty(settings.BootstrapApiKey) && keyRepository.FindByHash(ApiKeyService.Hash(settings.BootstrapApiKey)) is null)
        {
            keys.Store(settings.BootstrapApiKey, "bootstrap", PortalRoles.ProviderAdmin, null, null, "configuration");
            logger.LogInformation("Stored the bootstrap provider-admin API key from {Section}:BootstrapApiKey (hashed)", SecurityOptions.Section);
        }
        if (!demo.Value.DemoUsers)
            return;
        foreach (var (user, password, role, tenant) in DemoAccounts)
        {
            if (users.FindByName(user) is not null)
                continue;
            if (tenant is { } t && inventory.FindTenant(t) is null)
                continue;
            accounts.Create(user, password, role, tenant?.Value);
            logger.LogInformation("Seeded demo account {User} ({Role})", user, role);
        }
    }
}
