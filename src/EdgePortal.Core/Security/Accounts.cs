namespace EdgePortal.Core.Security;

/// <summary>The portal's roles, from the provider's administrator down to a read-only viewer.</summary>
public static class PortalRoles
{
    public const string ProviderAdmin = nameof(ProviderAdmin);
    public const string ProviderOperator = nameof(ProviderOperator);
    public const string TenantAdmin = nameof(TenantAdmin);
    public const string TenantOperator = nameof(TenantOperator);
    public const string Viewer = nameof(Viewer);

    public static IReadOnlyList<string> All { get; } = [ProviderAdmin, ProviderOperator, TenantAdmin, TenantOperator, Viewer];

    /// <summary>Provider roles see every tenant; every other role belongs to one tenant.</summary>
    public static bool IsProviderRole(string role) => role is ProviderAdmin or ProviderOperator;

    public static bool IsKnown(string? role) => role is not null && All.Contains(role);
}

/// <summary>
/// What a local account may be called. The prefixes <c>sso:</c> and <c>key:</c> name single sign-on users and API keys in the
/// audit log and on every action, so a local account taking one could pass for them: they are refused.
/// </summary>
public static class PortalUserNames
{
    public static IReadOnlyList<string> ReservedPrefixes { get; } = ["sso:", "key:"];

    /// <summary>Why <paramref name="userName"/> cannot name a local account, or null when it can.</summary>
    public static string? Problem(string? userName)
    {
        if (string.IsNullOrWhiteSpace(userName) || userName.Trim().Length > Domain.InputLimits.Name || userName.Any(char.IsControl))
            return $"userName is required: 1..{Domain.InputLimits.Name} printable characters.";
        var trimmed = userName.Trim();
        return ReservedPrefixes.FirstOrDefault(p => trimmed.StartsWith(p, StringComparison.OrdinalIgnoreCase)) is { } reserved
            ? $"userName cannot start with '{reserved}': {string.Join(" and ", ReservedPrefixes.Select(p => $"'{p}'"))} name single sign-on users and API keys."
            : null;
    }
}

/// <summary>
/// An account. <see cref="TenantId"/> is set for tenant roles (and a tenant's viewer) and null for provider roles. A local
/// account keeps its password only as ASP.NET Core's password hash; a single sign-on user (<see cref="ExternalIssuer"/> set)
/// has none and is recorded at its first sign-in, so that it can be disabled here.
/// </summary>
public sealed record PortalUser
{
    public required Guid Id { get; init; }
    public required string UserName { get; init; }
    public required string PasswordHash { get; init; }
    public required string Role { get; init; }
    public Guid? TenantId { get; init; }
    public bool Disabled { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    /// <summary>
    /// Changes whenever the account's access changes (role, tenant, password, disabled): a session signed in under another
    /// stamp ends at its next check.
    /// </summary>
    public string SecurityStamp { get; init; } = "";
    /// <summary>The identity provider (its issuer) of a single sign-on user; null for a local account.</summary>
    public string? ExternalIssuer { get; init; }
}

/// <summary>
/// An API key for automation: only the SHA-256 of the key is stored (the key itself is shown once, at creation).
/// Refused after <see cref="ExpiresAt"/> or once revoked.
/// </summary>
public sealed record ApiKey
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public required string Hash { get; init; }
    /// <summary>The key's first characters, to tell keys apart in a list without revealing them.</summary>
    public required string Prefix { get; init; }
    public required string Role { get; init; }
    public Guid? TenantId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
    public string CreatedBy { get; init; } = "";

    public bool IsUsableAt(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is not { } e || e > now);
}

public interface IUserRepository
{
    IReadOnlyList<PortalUser> List(Guid? tenant = null);
    PortalUser? Find(Guid id);
    PortalUser? FindByName(string userName);
    void Save(PortalUser user);
    bool Delete(Guid id);
    int Count();
}

public interface IApiKeyRepository
{
    IReadOnlyList<ApiKey> List(Guid? tenant = null);
    ApiKey? Find(Guid id);
    ApiKey? FindByHash(string hash);
    void Save(ApiKey key);
}
