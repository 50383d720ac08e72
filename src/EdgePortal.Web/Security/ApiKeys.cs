using System.Security.Cryptography;
using System.Text;
using EdgePortal.Core.Security;

namespace EdgePortal.Web.Security;

/// <summary>The key shown once to its creator, and the stored record that holds only its hash.</summary>
public sealed record CreatedApiKey(ApiKey Record, string Key);

/// <summary>
/// Creates, checks and revokes API keys. A key is 32 random bytes (base64url, prefixed <c>ep_</c>); with that much
/// entropy an unsalted SHA-256 is a safe thing to store and lets a key be looked up by its hash.
/// </summary>
public sealed class ApiKeyService(IApiKeyRepository keys, TimeProvider clock)
{
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public CreatedApiKey Create(string name, string role, Guid? tenant, DateTimeOffset? expiresAt, string createdBy)
    {
        var key = "ep_" + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        return new CreatedApiKey(Store(key, name, role, tenant, expiresAt, createdBy), key);
    }

    /// <summary>Stores a key given from outside (the bootstrap key); hashed like any other.</summary>
    public ApiKey Store(string key, string name, string role, Guid? tenant, DateTimeOffset? expiresAt, string createdBy)
    {
        if (!PortalRoles.IsKnown(role))
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        var record = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            Name = name,
            Hash = Hash(key),
            Prefix = key.Length > 7 ? key[..7] : "",
            Role = role,
            TenantId = PortalRoles.IsProviderRole(role) ? null : tenant,
            CreatedAt = clock.GetUtcNow(),
            ExpiresAt = expiresAt,
            CreatedBy = createdBy,
        };
        keys.Save(record);
        return record;
    }

    /// <summary>The usable key with this value, or null (unknown, expired or revoked).</summary>
    public ApiKey? Validate(string key)
        => string.IsNullOrEmpty(key) || key.Length > 512 ? null
            : keys.FindByHash(Hash(key)) is { } record && record.IsUsableAt(clock.GetUtcNow()) ? record : null;

    public bool Revoke(Guid id)
    {
        if (keys.Find(id) is not { } key)
            return false;
        if (key.RevokedAt is null)
            keys.Save(key with { RevokedAt = clock.GetUtcNow() });
        return true;
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
