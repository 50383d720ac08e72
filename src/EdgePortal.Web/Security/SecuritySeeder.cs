using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// First start: the provider admin from configuration and, in the demo profile only, one account per role — both only into
/// an empty user store, so that an account deleted later never comes back at a restart — and the bootstrap API key (hashed;
/// once: a revoked one stays revoked). A portal with no account and no key says how to make the first admin.
/// </summary>
public sealed class SecuritySeeder(AccountService accounts, ApiKeyService keys, IUserRepository users, IApiKeyRepository keyRepository,
    IInventoryRepository inventory, IOptions<SecurityOptions> security, IOptions<DemoUserOptions> demo, IHostEnvironment environment,
    ILogger<SecuritySeeder> logger, IReplicaLock? replicaLock = null) : IHostedService
{
    /// <summary>The demo accounts: user name, password, role and tenant (documented in the README; Development only).</summary>
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
        if (!string.IsNullOrEmpty(settings.BootstrapApiKey) && keyRepository.FindByHash(ApiKeyService.Hash(settings.BootstrapApiKey)) is null)
        {
            keys.Store(settings.BootstrapApiKey, "bootstrap", PortalRoles.ProviderAdmin, null, null, "configuration");
            logger.LogInformation("Stored the bootstrap provider-admin API key from {Section}:BootstrapApiKey (hashed)", SecurityOptions.Section);
        }
        if (users.Count() > 0)
            return;
        if (!string.IsNullOrWhiteSpace(settings.AdminUser) && !string.IsNullOrEmpty(settings.AdminPassword))
        {
            accounts.Create(settings.AdminUser, settings.AdminPassword, PortalRoles.ProviderAdmin, null);
            logger.LogInformation("Created the provider admin {User} from {Section}:AdminUser", settings.AdminUser, SecurityOptions.Section);
        }
        if (demo.Value.EnabledIn(environment))
        {
            foreach (var (user, password, role, tenant) in DemoAccounts)
            {
                if (users.FindByName(user) is not null || (tenant is { } t && inventory.FindTenant(t) is null))
                    continue;
                accounts.Create(user, password, role, tenant?.Value);
                logger.LogInformation("Seeded demo account {User} ({Role})", user, role);
            }
        }
        if (users.Count() == 0 && keyRepository.List().Count == 0)
            logger.LogWarning("No account and no API key exist: nobody can sign in. Set {Section}:AdminUser and AdminPassword (or BootstrapApiKey) and restart.",
                SecurityOptions.Section);
    }
}
