using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>How a login attempt ended.</summary>
public abstract record LoginResult
{
    public sealed record Success(PortalUser User) : LoginResult;
    public sealed record Failed : LoginResult;
    public sealed record LockedOut(DateTimeOffset Until) : LoginResult;
}

/// <summary>
/// Local accounts: creates them with ASP.NET Core's password hasher, checks passwords, and locks an account for
/// <see cref="SecurityOptions.LockoutMinutes"/> after <see cref="SecurityOptions.LockoutThreshold"/> failures in a row.
/// </summary>
public sealed class AccountService(IUserRepository users, IOptionsMonitor<SecurityOptions> options, TimeProvider clock)
{
    private readonly PasswordHasher<PortalUser> _hasher = new();
    private readonly Lock _gate = new();

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
        };
        user = user with { PasswordHash = _hasher.HashPassword(user, password) };
        lock (_gate)
        {
            if (users.FindByName(user.UserName) is not null)
                throw new ArgumentException($"A user named '{user.UserName}' exists already.", nameof(userName));
            users.Save(user);
        }
        return user;
    }

    public LoginResult Login(string? userName, string? password)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password) || userName.Length > 100 || password.Length > 1000)
            return new LoginResult.Failed();
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (users.FindByName(userName.Trim()) is not { } user || user.Disabled)
            {
                // Hash anyway so that an unknown name takes as long as a wrong password.
                _hasher.HashPassword(new PortalUser { Id = Guid.Empty, UserName = "", PasswordHash = "", Role = "" }, password);
                return new LoginResult.Failed();
            }
            if (user.LockedUntil is { } until && until > now)
                return new LoginResult.LockedOut(until);
            var verdict = _hasher.VerifyHashedPassword(user, user.PasswordHash, password);
            if (verdict == PasswordVerificationResult.Failed)
            {
                var failures = user.FailedLogins + 1;
                var settings = options.CurrentValue;
                if (failures >= Math.Max(1, settings.LockoutThreshold))
                {
                    var lockedUntil = now.AddMinutes(Math.Max(1, settings.LockoutMinutes));
                    users.Save(user with { FailedLogins = 0, LockedUntil = lockedUntil });
                    return new LoginResult.LockedOut(lockedUntil);
                }
                users.Save(user with { FailedLogins = failures });
                return new LoginResult.Failed();
            }
            var updated = user with
            {
                FailedLogins = 0,
                LockedUntil = null,
                PasswordHash = verdict == PasswordVerificationResult.SuccessRehashNeeded ? _hasher.HashPassword(user, password) : user.PasswordHash,
            };
            users.Save(updated);
            return new LoginResult.Success(updated);
        }
    }
}
