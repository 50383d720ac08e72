using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Web.UseCases;

namespace EdgePortal.Web.Security;

/// <summary>
/// Users, API keys and tenants (created, their clusters and quotas), with the rules of who may do what: a provider admin
/// manages everyone; a tenant admin manages its own tenant's users and keys and may give only tenant roles. Every change is
/// audited. Used by the API and the pages; each method is one use case (<see cref="UseCaseResult{T}"/>).
/// </summary>
public sealed class UserAdministration(IUserRepository users, IApiKeyRepository keyRepository, AccountService accounts, ApiKeyService keys,
    IInventoryRepository inventory, AuditTrail audit, Microsoft.Extensions.Options.IOptionsMonitor<Limits.LimitsOptions> limits,
    AccessChanges accessChanges)
{
    private static readonly string[] TenantRoles = [PortalRoles.TenantAdmin, PortalRoles.TenantOperator, PortalRoles.Viewer];

    /// <summary>Two tenants created at once with one name: the second sees the first.</summary>
    private readonly Lock _tenantNames = new();

    public IReadOnlyList<PortalUser> Users(TenantScope scope) => scope.IsProvider ? users.List() : users.List(scope.Tenant!.Value.Value);

    public IReadOnlyList<ApiKey> Keys(TenantScope scope) => scope.IsProvider ? keyRepository.List() : keyRepository.List(scope.Tenant!.Value.Value);

    public UseCaseResult<PortalUser> CreateUser(TenantScope scope, string? userName, string? password, string? role, Guid? tenant)
    {
        if (Assign(scope, role, tenant) is { } refusal)
            return new UseCaseResult<PortalUser>.Invalid(refusal.Field, refusal.Message);
        if (PortalUserNames.Problem(userName) is { } nameProblem)
            return new UseCaseResult<PortalUser>.Invalid("userName", nameProblem);
        if (password is not { Length: >= 8 and <= InputLimits.Password })
            return new UseCaseResult<PortalUser>.Invalid("password", $"password must be 8..{InputLimits.Password} characters.");
        if (users.FindByName(userName!.Trim()) is not null)
            return new UseCaseResult<PortalUser>.Invalid("userName", $"A user named '{userName.Trim()}' exists already.");
        var user = accounts.Create(userName, password, role!, TenantOf(scope, role!, tenant));
        audit.Record(scope, AuditActions.UserCreate, $"user {user.UserName} ({user.Id})", user.Role, user.TenantId is { } t ? TenantId.From(t) : null);
        return new UseCaseResult<PortalUser>.Done(user);
    }

    public UseCaseResult<PortalUser> DeleteUser(TenantScope scope, Guid id)
    {
        if (users.Find(id) is not { } user || !Sees(scope, user.TenantId))
            return new UseCaseResult<PortalUser>.NotFound($"No user has id {id}.");
        if (string.Equals(user.UserName, scope.Actor, StringComparison.OrdinalIgnoreCase))
            return new UseCaseResult<PortalUser>.Invalid("id", "You cannot delete your own account.");
        users.Delete(id);
        accessChanges.Publish();
        audit.Record(scope, AuditActions.UserDelete, $"user {user.UserName} ({user.Id})", user.Role, user.TenantId is { } t ? TenantId.From(t) : null);
        return new UseCaseResult<PortalUser>.Done(user);
    }

    /// <summary>
    /// Changes an account: its role and tenant (as <see cref="CreateUser"/> would assign them), disabled or enabled, or its
    /// password (local accounts only). Anything that changes its access gives it a new security stamp, which ends its open
    /// sessions, circuits and hub connections at their next check (at once on this replica). Nobody changes their own role,
    /// tenant or enabled state.
    /// </summary>
    public UseCaseResult<PortalUser> ChangeUser(TenantScope scope, Guid id, string? role, Guid? tenant, bool? disabled, string? password)
    {
        if (users.Find(id) is not { } user || !Sees(scope, user.TenantId) || (!scope.IsProvider && PortalRoles.IsProviderRole(user.Role)))
            return new UseCaseResult<PortalUser>.NotFound($"No user has id {id}.");
        var self = string.Equals(user.UserName, scope.Actor, StringComparison.OrdinalIgnoreCase);
        var newRole = role ?? user.Role;
        var newTenant = role is null && tenant is null ? user.TenantId : TenantOf(scope, newRole, tenant ?? user.TenantId);
        if (role is not null || tenant is not null)
        {
            if (Assign(scope, newRole, tenant ?? user.TenantId) is { } refusal)
                return new UseCaseResult<PortalUser>.Invalid(refusal.Field, refusal.Message);
        }
        var changesAccess = newRole != user.Role || newTenant != user.TenantId || (disabled is { } d && d != user.Disabled);
        if (self && changesAccess)
            return new UseCaseResult<PortalUser>.Invalid(role is not null ? "role" : tenant is not null ? "tenantId" : "disabled",
                "You cannot change your own role, tenant or enabled state: ask another admin.");
        if (password is not null && user.ExternalIssuer is not null)
            return new UseCaseResult<PortalUser>.Invalid("password", "A single sign-on user has no password here: its identity provider signs it in.");
        if (password is not null && password.Length is < 8 or > InputLimits.Password)
            return new UseCaseResult<PortalUser>.Invalid("password", $"password must be 8..{InputLimits.Password} characters.");
        var changed = user with { Role = newRole, TenantId = newTenant, Disabled = disabled ?? user.Disabled };
        if (password is not null)
            changed = changed with { PasswordHash = accounts.HashPassword(changed, password) };
        if (changesAccess || password is not null)
            changed = changed with { SecurityStamp = AccountService.NewStamp() };
        users.Save(changed);
        accessChanges.Publish();
        var what = new List<string>();
        if (newRole != user.Role)
            what.Add($"role {user.Role} → {newRole}");
        if (newTenant != user.TenantId)
            what.Add($"tenant {user.TenantId?.ToString() ?? "none"} → {newTenant?.ToString() ?? "none"}");
        if (changed.Disabled != user.Disabled)
            what.Add(changed.Disabled ? "disabled" : "enabled");
        if (password is not null)
            what.Add("password set");
        audit.Record(scope, AuditActions.UserChange, $"user {user.UserName} ({user.Id})", what.Count == 0 ? "no change" : string.Join("; ", what),
            (changed.TenantId ?? user.TenantId) is { } t ? TenantId.From(t) : null);
        return new UseCaseResult<PortalUser>.Done(changed);
    }

    public UseCaseResult<CreatedApiKey> CreateKey(TenantScope scope, string? name, string? role, Guid? tenant, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (Assign(scope, role, tenant) is { } refusal)
            return new UseCaseResult<CreatedApiKey>.Invalid(refusal.Field, refusal.Message);
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > InputLimits.Name || name.Any(char.IsControl))
            return new UseCaseResult<CreatedApiKey>.Invalid("name", $"name is required: 1..{InputLimits.Name} printable characters.");
        if (expiresAt is { } e && e <= now)
            return new UseCaseResult<CreatedApiKey>.Invalid("expiresAt", $"expiresAt must be in the future (was {e:u}).");
        var created = keys.Create(name.Trim(), role!, TenantOf(scope, role!, tenant), expiresAt, scope.Actor);
        audit.Record(scope, AuditActions.KeyCreate, $"api key {created.Record.Name} ({created.Record.Id})",
            $"{created.Record.Role}, expires {created.Record.ExpiresAt?.ToString("u") ?? "never"}", created.Record.TenantId is { } t ? TenantId.From(t) : null);
        return new UseCaseResult<CreatedApiKey>.Done(created);
    }

    public UseCaseResult<ApiKey> RevokeKey(TenantScope scope, Guid id)
    {
        if (keyRepository.Find(id) is not { } key || !Sees(scope, key.TenantId))
            return new UseCaseResult<ApiKey>.NotFound($"No API key has id {id}.");
        keys.Revoke(id);
        accessChanges.Publish();
        audit.Record(scope, AuditActions.KeyRevoke, $"api key {key.Name} ({key.Id})", key.Role, key.TenantId is { } t ? TenantId.From(t) : null);
        return new UseCaseResult<ApiKey>.Done(keyRepository.Find(id)!);
    }

    /// <summary>
    /// Creates a tenant (the provider admin's operation): a name no other tenant has, the clusters it may use, the objective
    /// its services get unless they set one, and its quotas (null: the configured default for new tenants).
    /// </summary>
    public UseCaseResult<Tenant> CreateTenant(TenantScope scope, string? name, IReadOnlyList<Guid>? allowedClusters, Objective defaultObjective,
        int? maxConcurrentMigrations, double? maxReservedBandwidthBitsPerSecond, bool allowPostCopy = false)
    {
        if (!scope.IsProvider)
            return new UseCaseResult<Tenant>.NotFound("Only a provider admin creates tenants.");
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > InputLimits.Name || name.Any(char.IsControl))
            return new UseCaseResult<Tenant>.Invalid("name", $"name is required: 1..{InputLimits.Name} printable characters.");
        if (!Enum.IsDefined(defaultObjective))
            return new UseCaseResult<Tenant>.Invalid("defaultObjective", $"defaultObjective must be one of {string.Join(", ", Enum.GetNames<Objective>())}.");
        if (Clusters(allowedClusters, out var unknownCluster) is not { } clusters)
            return unknownCluster!;
        if (QuotaRefusal(maxConcurrentMigrations, maxReservedBandwidthBitsPerSecond) is { } refusal)
            return new UseCaseResult<Tenant>.Invalid(refusal.Field, refusal.Message);
        // A quota left out takes the configured default for new tenants (EdgePortal:Limits:NewTenantQuotas); PUT …/quotas can lift it.
        var defaults = limits.CurrentValue.NewTenantQuotas;
        maxConcurrentMigrations ??= defaults.MaxConcurrentMigrations;
        maxReservedBandwidthBitsPerSecond ??= defaults.MaxReservedBandwidthBitsPerSecond;
        var tenant = new Tenant(TenantId.New(), name.Trim(), clusters, defaultObjective, maxConcurrentMigrations, maxReservedBandwidthBitsPerSecond, allowPostCopy);
        lock (_tenantNames)
        {
            if (inventory.Tenants().FirstOrDefault(t => string.Equals(t.Name, tenant.Name, StringComparison.OrdinalIgnoreCase)) is { } existing)
                return new UseCaseResult<Tenant>.Invalid("name", $"A tenant named '{existing.Name}' exists already.");
            inventory.Save(tenant);
        }
        audit.Record(scope, AuditActions.TenantCreate, $"tenant {tenant.Name} ({tenant.Id})", $"clusters {Describe(clusters)}; {Describe(tenant)}", tenant.Id);
        return new UseCaseResult<Tenant>.Done(tenant);
    }

    /// <summary>Sets a tenant's quotas (null: none); the provider admin's operation.</summary>
    public UseCaseResult<Tenant> SetQuotas(TenantScope scope, Guid tenantId, int? maxConcurrentMigrations, double? maxReservedBandwidthBitsPerSecond)
    {
        if (!scope.IsProvider || inventory.FindTenant(TenantId.From(tenantId)) is not { } tenant)
            return new UseCaseResult<Tenant>.NotFound($"No tenant has id {tenantId}.");
        if (QuotaRefusal(maxConcurrentMigrations, maxReservedBandwidthBitsPerSecond) is { } refusal)
            return new UseCaseResult<Tenant>.Invalid(refusal.Field, refusal.Message);
        var changed = new Tenant(tenant.Id, tenant.Name, tenant.AllowedClusters, tenant.DefaultObjective, maxConcurrentMigrations, maxReservedBandwidthBitsPerSecond,
            tenant.AllowPostCopy);
        inventory.Save(changed);
        audit.Record(scope, AuditActions.TenantChange, $"tenant {tenant.Name} ({tenant.Id})", Describe(changed), tenant.Id);
        return new UseCaseResult<Tenant>.Done(changed);
    }

    /// <summary>Allows or forbids post-copy for the tenant's services that ask for it; the provider admin's operation.</summary>
    public UseCaseResult<Tenant> SetPostCopy(TenantScope scope, Guid tenantId, bool allow)
    {
        if (!scope.IsProvider || inventory.FindTenant(TenantId.From(tenantId)) is not { } tenant)
            return new UseCaseResult<Tenant>.NotFound($"No tenant has id {tenantId}.");
        var changed = new Tenant(tenant.Id, tenant.Name, tenant.AllowedClusters, tenant.DefaultObjective, tenant.MaxConcurrentMigrations,
            tenant.MaxReservedBandwidthBitsPerSecond, allow);
        inventory.Save(changed);
        audit.Record(scope, AuditActions.TenantChange, $"tenant {tenant.Name} ({tenant.Id})", $"allowPostCopy {(allow ? "on" : "off")}", tenant.Id);
        return new UseCaseResult<Tenant>.Done(changed);
    }

    /// <summary>
    /// Sets the clusters a tenant may use (the provider admin's operation). A cluster where the tenant still runs services
    /// stays: they would be stranded where no migration of theirs may go.
    /// </summary>
    public UseCaseResult<Tenant> SetClusters(TenantScope scope, Guid tenantId, IReadOnlyList<Guid>? allowedClusters)
    {
        if (!scope.IsProvider || inventory.FindTenant(TenantId.From(tenantId)) is not { } tenant)
            return new UseCaseResult<Tenant>.NotFound($"No tenant has id {tenantId}.");
        if (Clusters(allowedClusters, out var unknownCluster) is not { } clusters)
            return unknownCluster!;
        var nodes = inventory.Nodes().ToDictionary(n => n.Id, n => n.ClusterId);
        var stranded = inventory.Services(tenant.Id).Where(s => nodes.TryGetValue(s.NodeId, out var c) && !clusters.Contains(c)).ToList();
        if (stranded.Count > 0)
        {
            var names = inventory.Clusters().ToDictionary(c => c.Id, c => c.Name);
            return new UseCaseResult<Tenant>.Invalid("allowedClusters", $"{tenant.Name} still runs services on clusters left out: "
                + string.Join("; ", stranded.GroupBy(s => nodes[s.NodeId]).Select(g => $"{names[g.Key]} ({string.Join(", ", g.Select(s => s.Name))})"))
                + ". Migrate them away first.");
        }
        var changed = new Tenant(tenant.Id, tenant.Name, clusters, tenant.DefaultObjective, tenant.MaxConcurrentMigrations, tenant.MaxReservedBandwidthBitsPerSecond,
            tenant.AllowPostCopy);
        inventory.Save(changed);
        audit.Record(scope, AuditActions.TenantChange, $"tenant {tenant.Name} ({tenant.Id})", $"clusters {Describe(clusters)}", tenant.Id);
        return new UseCaseResult<Tenant>.Done(changed);
    }

    /// <summary>
    /// The clusters named by id, each once, in the order given (none when none are given); null, with the refusal naming the
    /// first id the inventory does not have, otherwise.
    /// </summary>
    private List<ClusterId>? Clusters(IReadOnlyList<Guid>? ids, out UseCaseResult<Tenant>.Invalid? refusal)
    {
        var given = ids ?? [];
        var known = inventory.Clusters().Select(c => c.Id.Value).ToHashSet();
        for (var i = 0; i < given.Count; i++)
        {
            if (!known.Contains(given[i]))
            {
                refusal = new UseCaseResult<Tenant>.Invalid($"allowedClusters[{i}]", $"No cluster has id {given[i]}.");
                return null;
            }
        }
        refusal = null;
        return [.. given.Distinct().Select(ClusterId.From)];
    }

    private static (string Field, string Message)? QuotaRefusal(int? maxConcurrentMigrations, double? maxReservedBandwidthBitsPerSecond)
    {
        if (maxConcurrentMigrations is < 1 or > 100_000)
            return ("maxConcurrentMigrations", "maxConcurrentMigrations must lie in 1..100000, or be null for no quota.");
        if (maxReservedBandwidthBitsPerSecond is { } bw && (!double.IsFinite(bw) || bw <= 0))
            return ("maxReservedBandwidthBitsPerSecond", "maxReservedBandwidthBitsPerSecond must be a positive number, or null for no quota.");
        return null;
    }

    private string Describe(IReadOnlyList<ClusterId> clusters)
    {
        var names = inventory.Clusters().ToDictionary(c => c.Id, c => c.Name);
        return clusters.Count == 0 ? "none" : string.Join(", ", clusters.Select(c => names[c]));
    }

    private static string Describe(Tenant tenant) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"max concurrent {tenant.MaxConcurrentMigrations?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}, max reserved {tenant.MaxReservedBandwidthBitsPerSecond?.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "none"} bit/s");

    private static bool Sees(TenantScope scope, Guid? tenant) => scope.IsProvider || (tenant is { } t && scope.Tenant == TenantId.From(t));

    private (string Field, string Message)? Assign(TenantScope scope, string? role, Guid? tenant)
    {
        if (!PortalRoles.IsKnown(role))
            return ("role", $"role must be one of {string.Join(", ", PortalRoles.All)} (was '{InputLimits.Echo(role)}').");
        if (!scope.IsProvider)
        {
            if (!TenantRoles.Contains(role))
                return ("role", $"A tenant admin gives only {string.Join(", ", TenantRoles)}.");
            if (tenant is { } asked && TenantId.From(asked) != scope.Tenant)
                return ("tenantId", $"No tenant has id {asked}.");
            return null;
        }
        if (!PortalRoles.IsProviderRole(role!) && (tenant is not { } t || inventory.FindTenant(TenantId.From(t)) is null))
            return ("tenantId", tenant is null ? $"tenantId is required for a {role}." : $"No tenant has id {tenant}.");
        return null;
    }

    private static Guid? TenantOf(TenantScope scope, string role, Guid? tenant)
        => PortalRoles.IsProviderRole(role) ? null : scope.Tenant?.Value ?? tenant;
}
