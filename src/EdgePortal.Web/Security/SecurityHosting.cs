using EdgePortal.Runtime.Simulated;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using System.Threading.RateLimiting;
using EdgePortal.Web.Replicas;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

public static class SecurityHosting
{
    public const string SignInRateLimit = "sign-in";

    /// <summary>The policy scheme that picks the API key handler for a bearer token and the cookie otherwise.</summary>
    public const string Scheme = "EdgePortal";

    /// <summary>Accounts, API keys, cookie and bearer authentication, the policies, and the first-start seed.</summary>
    public static IServiceCollection AddEdgePortalSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.Section))
            .Validate(o => o.LockoutThreshold >= 1, $"{SecurityOptions.Section}:LockoutThreshold must be at least 1.")
            .Validate(o => o.LockoutMinutes >= 1, $"{SecurityOptions.Section}:LockoutMinutes must be at least 1.")
            .Validate(o => o.MaxApiBodyBytes >= 1024, $"{SecurityOptions.Section}:MaxApiBodyBytes must be at least 1024.")
            .Validate(o => o.SignInAttemptsPerMinute >= 1, $"{SecurityOptions.Section}:SignInAttemptsPerMinute must be at least 1.")
            .Validate(o => string.IsNullOrEmpty(o.BootstrapApiKey) || o.BootstrapApiKey.Length >= 32,
                $"{SecurityOptions.Section}:BootstrapApiKey must be at least 32 characters (a high-entropy secret).")
            .Validate(o => string.IsNullOrEmpty(o.AdminUser) || Core.Security.PortalUserNames.Problem(o.AdminUser) is null,
                $"{SecurityOptions.Section}:AdminUser must be 1..{Core.Domain.InputLimits.Name} printable characters and not start with 'sso:' or 'key:'.")
            .Validate(o => string.IsNullOrEmpty(o.AdminUser) || o.AdminPassword is { Length: >= 8 },
                $"{SecurityOptions.Section}:AdminPassword must be at least 8 characters when AdminUser is set.")
            .ValidateOnStart();
        services.AddOptions<DemoUserOptions>().Bind(configuration.GetSection(SeedOptions.Section));
        services.AddSingleton<AccountService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<UserAdministration>();
        services.AddHostedService<SecuritySeeder>();

        var oidc = configuration.GetSection(OidcSettings.Section).Get<OidcSettings>() ?? new OidcSettings();
        if (oidc.Enabled && string.IsNullOrWhiteSpace(oidc.ClientId))
            throw new InvalidOperationException($"{OidcSettings.Section}:ClientId is required when {OidcSettings.Section}:Authority is set.");
        services.AddSingleton(oidc);
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Cookie or API key", o => o.ForwardDefaultSelector = context =>
                ApiKeyAuthenticationHandler.BearerToken(context.Request) is not null
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = AccountEndpoints.LoginPath;
                o.LogoutPath = AccountEndpoints.LogoutPath;
                o.AccessDeniedPath = "/account/denied";
                o.Cookie.Name = "EdgePortal.Auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                // The API and the hub answer 401/403 (as problem details); only pages redirect to the login form.
                o.Events.OnRedirectToLogin = c => Answer(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => Answer(c, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddEdgePortalOidc(oidc);
        services.AddAuthorization(PortalPolicies.Add);
        // Lockout stops guessing one account; this stops one address guessing many.
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignInRateLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = context.RequestServices.GetRequiredService<IOptionsMonitor<SecurityOptions>>().CurrentValue.SignInAttemptsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        });
        services.AddCascadingAuthenticationState();
        services.AddScoped<CurrentTenant>();
        return services;
    }

    /// <summary>
    /// The data-protection keys (they sign the auth cookie and the antiforgery tokens) live in <c>keys/</c> beside the LiteDB file,
    /// so that a restart or a new container on the same volume keeps everyone signed in. Protect that folder like the database.
    /// With PostgreSQL storage they live in the database, shared by every replica.
    /// </summary>
    public static IServiceCollection AddEdgePortalDataProtection(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        var dataProtection = services.AddDataProtection().SetApplicationName("EdgePortal");
        var storage = Storage.StorageOptions.Read(configuration);
        if (storage.Provider == Storage.StorageProvider.PostgreSql)
        {
            // Replicas share the database, so they share the keys: a cookie one replica issued works on every other.
            dataProtection.PersistKeysToPostgreSql();
            return services;
        }
        var database = string.IsNullOrEmpty(storage.Path) ? new Storage.StorageOptions().Path : storage.Path;
        var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Path.Combine(contentRoot, database)))!, "keys");
        dataProtection.PersistKeysToFileSystem(new DirectoryInfo(folder));
        return services;
    }

    private static Task Answer(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApi(context.Request))
            context.Response.StatusCode = status;
        else
            context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs");
}
