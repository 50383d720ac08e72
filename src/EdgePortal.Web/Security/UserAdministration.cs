using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;

namespace EdgePortal.Web.Security;

/// <summary>How an administrative change ended: done, refused because of a field, or (for another tenant's object) not found.</summary>
public abstract record AdminResult<T>
{
    public sealed record Done(T Value) : AdminResult<T>;
    public sealed record Invalid(string Field, string Message) : AdminResult<T>;
    public sealed record NotFound(string Message) : AdminResult<T>;
}

/// <summary>
/// Users, API keys and tenant quotas, with the rules of who may do what: a provider admin manages everyone; a tenant admin
/// manages its own tenant's users and keys and may give only tenant roles. Every change is audited. Used by the API and the pages.
/// </summary>
public sealed class UserAdministration(IUserRepository users, IApiKeyRepository keyRepository, AccountService accounts, ApiKeyService keys,
    IInventoryRepository inventory, AuditTrail audit)
{
    private static readonly string[] TenantRoles = [PortalRoles.TenantAdmin, PortalRoles.TenantOperator, PortalRoles.Viewer];

    public IReadOnlyList<PortalUser> Users(TenantScope scope) => scope.IsProvider ? users.List() : users.List(scope.Tenant!.Value.Value);

    public IReadOnlyList<ApiKey> Keys(TenantScope scope) => scope.IsProvider ? keyRepository.List() : keyRepository.List(scope.Tenant!.Value.Value);

    public AdminResult<PortalUser> CreateUser(TenantScope scope, string? userName, string? password, string? role, Guid? tenant)
    {
        if (Assign(scope, role, tenant) is { } refusal)
            return new AdminResult<PortalUser>.Invalid(refusal.Field, refusal.Message);
        if (string.IsNullOrWhiteSpace(userName) || userName.Length > 100 || userName.Any(char.IsControl))
            return new AdminResult<PortalUser>.Invalid("userName", "userName is required: 1..100 printable characters.");
        if (password is not { Length: >= 8 and <= 1000 })
            return new AdminResult<PortalUser>.Invalid("password", "password must be 8..1000 characters.");
        if (users.FindByName(userName.Trim()) is not null)
            return new AdminResult<PortalUser>.Invalid("userName", $"A user named '{userName.Trim()}' exists already.");
        var user = accounts.Create(userName, password, role!, TenantOf(scope, role!, tenant));
        audit.Record(scope, AuditActions.UserCreate, $"user {user.UserName} ({user.Id})", user.Role, user.TenantId is { } t ? TenantId.From(t) : null);
        return new AdminResult<PortalUser>.Done(user);
    }

    public AdminResult<PortalUser> DeleteUser(TenantScope scope, Guid id)
    {
        if (users.Find(id) is not { } user || !Sees(scope, user.TenantId))
            return new AdminResult<PortalUser>.NotFound($"No user has id {id}.");
        if (string.Equals(user.UserName, scope.Actor, StringComparison.OrdinalIgnoreCase))
            return new AdminResult<PortalUser>.Invalid("id", "You cannot delete your own account.");
        users.Delete(id);
        audit.Record(scope, AuditActions.UserDelete, $"user {user.UserName} ({user.Id})", user.Role, user.TenantId is { } t ? TenantId.From(t) : null);
        return new AdminResult<PortalUser>.Done(user);
    }

    public AdminResult<CreatedApiKey> CreateKey(TenantScope scope, string? name, string? role, Guid? tenant, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        if (Assign(scope, role, tenant) is { } refusal)
            return new AdminResult<CreatedApiKey>.Invalid(refusal.Field, refusal.Message);
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100 || name.Any(char.IsControl))
            return new AdminResult<CreatedApiKey>.Invalid("name", "name is required: 1..100 printable characters.");
        if (expiresAt is { } e && e <= now)
            return new AdminResult<CreatedApiKey>.Invalid("expiresAt", $"expiresAt must be in the future (was {e:u}).");
        var created = keys.Create(name.Trim(), role!, TenantOf(scope, role!, tenant), expiresAt, scope.Actor);
        audit.Record(scope, AuditActions.KeyCreate, $"api key {created.Record.Name} ({created.Record.Id})",
            $"{created.Record.Role}, expires {created.Record.ExpiresAt?.ToString("u") ?? "never"}", created.Record.TenantId is { } t ? TenantId.From(t) : null);
        return new AdminResult<CreatedApiKey>.Done(created);
    }

    public AdminResult<ApiKey> RevokeKey(TenantScope scope, Guid id)
    {
        if (keyRepository.Find(id) is not { } key || !Sees(scope, key.TenantId))
            return new AdminResult<ApiKey>.NotFound($"No API key has id {id}.");
        keys.Revoke(id);
        audit.Record(scope, AuditActions.KeyRevoke, $"api key {key.Name} ({key.Id})", key.Role, key.TenantId is { } t ? TenantId.From(t) : null);
        return new AdminResult<ApiKey>.Done(keyRepository.Find(id)!);
    }

    /// <summary>Sets a tenant's quotas (null: none); the provider admin's operation.</summary>
    public AdminResult<Tenant> SetQuotas(TenantScope scope, Guid tenantId, int? maxConcurrentMigrations, double? maxReservedBandwidthBitsPerSecond)
    {
        if (!scope.IsProvider || inventory.FindTenant(TenantId.From(tenantId)) is not { } tenant)
            return new AdminResult<Tenant>.NotFound($"No tenant has id {tenantId}.");
        if (maxConcurrentMigrations is < 1 or > 100_000)
            return new AdminResult<Tenant>.Invalid("maxConcurrentMigrations", "maxConcurrentMigrations must lie in 1..100000, or be null for no quota.");
        if (maxReservedBandwidthBitsPerSecond is { } bw && (!double.IsFinite(bw) || bw <= 0))
            return new AdminResult<Tenant>.Invalid("maxReservedBandwidthBitsPerSecond", "maxReservedBandwidthBitsPerSecond must be a positive number, or null for no quota.");
        var changed = new Tenant(tenant.Id, tenant.Name, tenant.AllowedClusters, tenant.DefaultObjective, maxConcurrentMigrations, maxReservedBandwidthBitsPerSecond);
        inventory.Save(changed);
        audit.Record(scope, AuditActions.TenantChange, $"tenant {tenant.Name} ({tenant.Id})",
            $"max concurrent {maxConcurrentMigrations?.ToString() ?? "none"}, max reserved {maxReservedBandwidthBitsPerSecond?.ToString("0") ?? "none"} bit/s", tenant.Id);
        return new AdminResult<Tenant>.Done(changed);
    }

    private static bool Sees(TenantScope scope, Guid? tenant) => scope.IsProvider || (tenant is { } t && scope.Tenant == TenantId.From(t));

    private (string Field, string Message)? Assign(TenantScope scope, string? role, Guid? tenant)
    {
        if (!PortalRoles.IsKnown(role))
            return ("role", $"role must be one of {string.Join(", ", PortalRoles.All)} (was '{role}').");
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
