using System.Security.Cryptography;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Identity;

namespace EdgePortal.Web.Security;

/// <summary>How a password check ended.</summary>
public abstract record LoginResult
{
    public sealed record Success(PortalUser User) : LoginResult;
    public sealed record Failed : LoginResult;
}

/// <summary>
/// Local accounts: creates them with ASP.NET Core's password hasher and checks passwords. Guessing is slowed down by
/// <see cref="SignInThrottle"/> in front of it, not by locking accounts (a stranger could lock the admin out).
/// </summary>
public sealed class AccountService(IUserRepository users, TimeProvider clock)
{
    private readonly PasswordHasher<PortalUser> _hasher = new();
    private readonly Lock _gate = new();

    /// <summary>A fresh security stamp: every session signed in under the old one ends at its next check.</summary>
    public static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public PortalUser Create(string userName, string password, string role, Guid? tenant)
    {
        if (string.IsNullOrWhiteSpace(userName) || userName.Length > 100)
            throw new ArgumentException("A user name of 1..100 characters is required.", nameof(userName));
        if (string.IsNullOrEmpty(password) || password.Length < 8)
            throw new ArgumentException("A password of at least 8 characters is required.", nameof(password));
        if (!PortalRoles.IsKnown(role))
            throw new ArgumentException($"Unknown role '{role}'.", nameof(role));
        if (!PortalRoles.IsProviderRole(role) && tenant is null)
            throw new ArgumentException($"A {role} belongs to a tenant.", nameof(tenant));
        var user = new PortalUser
        {
            Id = Guid.CreateVersion7(),
            UserName = userName.Trim(),
            PasswordHash = "",
            Role = role,
            TenantId = PortalRoles.IsProviderRole(role) ? null : tenant,
            CreatedAt = clock.GetUtcNow(),
            SecurityStamp = NewStamp(),
        };
        user = user with { PasswordHash = HashPassword(user, password) };
        lock (_gate)
        {
            if (users.FindByName(user.UserName) is not null)
                throw new ArgumentException($"A user named '{user.UserName}' exists already.", nameof(userName));
            users.Save(user);
        }
        return user;
    }

    public string HashPassword(PortalUser user, string password) => _hasher.HashPassword(user, password);

    public LoginResult Login(string? userName, string? password)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password) || userName.Length > 100 || password.Length > 1000)
            return new LoginResult.Failed();
        // A disabled account and a single sign-on user (no password) fail like a wrong password.
        if (users.FindByName(userName.Trim()) is not { Disabled: false, ExternalIssuer: null, PasswordHash.Length: > 0 } user)
        {
            // Hash anyway so that an unknown name takes as long as a wrong password.
            _hasher.HashPassword(new PortalUser { Id = Guid.Empty, UserName = "", PasswordHash = "", Role = "" }, password);
            return new LoginResult.Failed();
        }
        var verdict = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
            return new LoginResult.Failed();
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            lock (_gate)
            {
                if (users.Find(user.Id) is { } current && current.PasswordHash == user.PasswordHash)
                    users.Save(user = current with { PasswordHash = HashPassword(current, password) });
            }
        }
        return new LoginResult.Success(user);
    }
}
