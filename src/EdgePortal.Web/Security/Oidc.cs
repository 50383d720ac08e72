using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// Bound to <c>EdgePortal:Security:Oidc</c>; OpenID Connect sign-in is on when <see cref="Authority"/> is set. Nothing the
/// identity provider says is taken on trust beyond what is configured here: tokens only from <see cref="Issuers"/>, a role only
/// through <see cref="Roles"/>, a tenant only through <see cref="Tenants"/>.
/// </summary>
public sealed class OidcSettings
{
    public const string Section = SecurityOptions.Section + ":Oidc";

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    /// <summary>The issuers (<c>iss</c>) whose tokens are accepted; empty: the <see cref="Authority"/> alone.</summary>
    public string[] Issuers { get; set; } = [];
    /// <summary>The claim whose values are looked up in <see cref="Roles"/> (default <c>roles</c>; <c>groups</c> for group membership).</summary>
    public string RoleClaim { get; set; } = "roles";
    /// <summary>
    /// The allow-list: an identity provider's role or group (a value of <see cref="RoleClaim"/>) → the EdgePortal role it gives.
    /// A user with none of these values is refused; with several, the most powerful role wins.
    /// </summary>
    public Dictionary<string, string> Roles { get; set; } = new(StringComparer.Ordinal);
    /// <summary>The claim whose value is looked up in <see cref="Tenants"/> for a tenant role (default <c>edgeportal_tenant</c>).</summary>
    public string TenantClaim { get; set; } = "edgeportal_tenant";
    /// <summary>A value of <see cref="TenantClaim"/> → the id of the tenant it stands for. Any other value is refused.</summary>
    public Dictionary<string, string> Tenants { get; set; } = new(StringComparer.Ordinal);
    /// <summary>What the login form's button says.</summary>
    public string DisplayName { get; set; } = "Single sign-on";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>The issuers tokens may come from: <see cref="Issuers"/>, or the authority itself.</summary>
    public IReadOnlyList<string> AcceptedIssuers => Issuers.Length > 0 ? [.. Issuers.Select(i => i.TrimEnd('/'))] : [Authority!.TrimEnd('/')];
}

/// <summary>Refuses an OpenID Connect configuration that would trust more than it names, naming the key.</summary>
public sealed class OidcSettingsValidator : IValidateOptions<OidcSettings>
{
    public ValidateOptionsResult Validate(string? name, OidcSettings settings)
    {
        if (!settings.Enabled)
            return ValidateOptionsResult.Success;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(settings.ClientId))
            failures.Add($"{OidcSettings.Section}:ClientId is required when {OidcSettings.Section}:Authority is set.");
        if (!Uri.TryCreate(settings.Authority, UriKind.Absolute, out var authority) || authority.Scheme != Uri.UriSchemeHttps)
            failures.Add($"{OidcSettings.Section}:Authority must be an https URL (was '{settings.Authority}').");
        for (var i = 0; i < settings.Issuers.Length; i++)
            if (!Uri.TryCreate(settings.Issuers[i], UriKind.Absolute, out _))
                failures.Add($"{OidcSettings.Section}:Issuers:{i} must be an absolute URL (was '{settings.Issuers[i]}').");
        if (settings.Roles.Count == 0)
            failures.Add($"{OidcSettings.Section}:Roles must map at least one of the identity provider's roles or groups to an EdgePortal role "
                + $"(e.g. {OidcSettings.Section}:Roles:edgeportal-admins=ProviderAdmin): only mapped values are trusted.");
        foreach (var (value, role) in settings.Roles)
            if (!PortalRoles.IsKnown(role))
                failures.Add($"{OidcSettings.Section}:Roles:{value} must be one of {string.Join(", ", PortalRoles.All)} (was '{role}').");
        foreach (var (value, tenant) in settings.Tenants)
            if (!Guid.TryParse(tenant, out var id) || id == Guid.Empty)
                failures.Add($"{OidcSettings.Section}:Tenants:{value} must be a tenant id (a GUID; was '{tenant}').");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>What a single sign-on user is, once the provider's principal passed the allow-lists.</summary>
public sealed record SsoIdentity(string Issuer, string Subject, string Name, string Role, TenantId? Tenant)
{
    /// <summary>A stable account id per issuer and subject.</summary>
    public Guid AccountId => new(SHA256.HashData(Encoding.UTF8.GetBytes($"{Issuer}|{Subject}")).AsSpan(0, 16));
}

/// <summary>Maps an identity provider's principal onto the portal's, records the user locally, and refuses what is not allowed.</summary>
public static class OidcClaims
{
    public const string Scheme = OpenIdConnectDefaults.AuthenticationScheme;

    /// <returns>The user, or null with the reason when the issuer, role or tenant is not one the configuration allows.</returns>
    public static (SsoIdentity? Identity, string? Refusal) Map(ClaimsPrincipal external, OidcSettings settings, Func<TenantId, bool> tenantExists)
    {
        var subject = external.FindFirst("sub")?.Value ?? external.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        if (string.IsNullOrEmpty(subject))
            return (null, "The identity provider gave no subject.");
        var issuer = (external.FindFirst("iss")?.Value ?? external.FindFirst("sub")?.Issuer ?? "").TrimEnd('/');
        if (!settings.AcceptedIssuers.Contains(issuer, StringComparer.Ordinal))
            return (null, $"Tokens of the issuer '{issuer}' are not accepted ({OidcSettings.Section}:Issuers).");
        var mapped = external.FindAll(settings.RoleClaim)
            .Select(c => settings.Roles.TryGetValue(c.Value.Trim(), out var role) ? role : null)
            .OfType<string>().ToHashSet(StringComparer.Ordinal);
        // The most powerful of the mapped roles: PortalRoles.All runs from the provider's admin down to a viewer.
        var granted = PortalRoles.All.FirstOrDefault(mapped.Contains);
        if (granted is null)
            return (null, $"None of the identity provider's '{settings.RoleClaim}' values is allowed ({OidcSettings.Section}:Roles).");
        TenantId? tenant = null;
        if (!PortalRoles.IsProviderRole(granted))
        {
            var value = external.FindFirst(settings.TenantClaim)?.Value?.Trim();
            if (value is null || !settings.Tenants.TryGetValue(value, out var configured) || !Guid.TryParse(configured, out var id)
                || !tenantExists(TenantId.From(id)))
                return (null, $"A {granted} needs a tenant: the '{settings.TenantClaim}' value '{value}' is not mapped to an existing tenant ({OidcSettings.Section}:Tenants).");
            tenant = TenantId.From(id);
        }
        var name = external.FindFirst("preferred_username")?.Value ?? external.FindFirst("name")?.Value ?? external.Identity?.Name ?? subject;
        return (new SsoIdentity(issuer, subject, name.Trim(), granted, tenant), null);
    }

    public static AuthenticationBuilder AddEdgePortalOidc(this AuthenticationBuilder authentication, OidcSettings settings)
    {
        if (!settings.Enabled)
            return authentication;
        return authentication.AddOpenIdConnect(Scheme, settings.DisplayName, o =>
        {
            o.Authority = settings.Authority;
            o.ClientId = settings.ClientId;
            o.ClientSecret = settings.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            o.SaveTokens = false;
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.Scope.Add("profile");
            o.MapInboundClaims = false;
            o.TokenValidationParameters.ValidateIssuer = true;
            o.TokenValidationParameters.ValidIssuers = [.. settings.AcceptedIssuers, .. settings.AcceptedIssuers.Select(i => i + "/")];
            o.Events.OnTokenValidated = context =>
            {
                var services = context.HttpContext.RequestServices;
                var sso = services.GetRequiredService<SsoUsers>();
                var address = context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                if (sso.SignIn(context.Principal!, settings, address) is { } principal)
                    context.Principal = principal;
                else
                    context.Fail("Single sign-on refused.");
                return Task.CompletedTask;
            };
        });
    }
}

/// <summary>
/// Single sign-on users as local records: created at the first sign-in, updated (a new security stamp) when the identity
/// provider gives another role or tenant, and refused while disabled here, whatever the provider says.
/// </summary>
public sealed class SsoUsers(IUserRepository users, IInventoryRepository inventory, SessionValidator sessions, Auditing.RefusalAuditor refusals, AuditTrail audit,
    TimeProvider clock, ILogger<SsoUsers> logger)
{
    private readonly Lock _gate = new();

    /// <summary>The portal principal for the provider's <paramref name="external"/> one, or null (refused and audited).</summary>
    public ClaimsPrincipal? SignIn(ClaimsPrincipal external, OidcSettings settings, string address)
    {
        var (identity, refusal) = OidcClaims.Map(external, settings, t => inventory.FindTenant(t) is not null);
        var who = identity is null ? AccountNames.SsoPrefix + (external.FindFirst("preferred_username")?.Value ?? external.FindFirst("sub")?.Value ?? "?") : null;
        if (identity is null)
        {
            logger.LogWarning("Single sign-on refused for {User}: {Reason}", who, refusal);
            AccountEndpoints.Refused(refusals, AuditActions.LoginFailed, who!, address, $"single sign-on: {refusal}");
            return null;
        }
        PortalUser user;
        lock (_gate)
        {
            var existing = users.Find(identity.AccountId);
            if (existing is { Disabled: true })
            {
                AccountEndpoints.Refused(refusals, AuditActions.LoginFailed, existing.UserName, address, "single sign-on: the account is disabled in EdgePortal");
                return null;
            }
            user = existing is null
                ? new PortalUser
                {
                    Id = identity.AccountId,
                    UserName = FreeName(identity),
                    PasswordHash = "",
                    Role = identity.Role,
                    TenantId = identity.Tenant?.Value,
                    CreatedAt = clock.GetUtcNow(),
                    SecurityStamp = AccountService.NewStamp(),
                    ExternalIssuer = identity.Issuer,
                }
                : existing.Role == identity.Role && existing.TenantId == identity.Tenant?.Value
                    ? existing
                    : existing with { Role = identity.Role, TenantId = identity.Tenant?.Value, SecurityStamp = AccountService.NewStamp() };
            if (!ReferenceEquals(user, existing))
                users.Save(user);
        }
        audit.Record(user.UserName, AuditActions.LoginSucceeded, "single sign-on", user.Role, user.TenantId);
        return sessions.Principal(user);
    }

    /// <summary><c>sso:name</c>, or with the account id's start when a local or another issuer's user has that name.</summary>
    private string FreeName(SsoIdentity identity)
    {
        var name = AccountNames.SsoPrefix + (identity.Name.Length > 80 ? identity.Name[..80] : identity.Name);
        return users.FindByName(name) is null ? name : $"{name}#{identity.AccountId.ToString("N")[..8]}";
    }
}
