using System.Threading.RateLimiting;
using EdgePortal.Runtime.Simulated;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using EdgePortal.Web.Replicas;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

public static class SecurityHosting
{
    public const string SignInRateLimit = "sign-in";

    /// <summary>The policy scheme that picks the API key handler for a bearer token and the cookie otherwise.</summary>
    public const string Scheme = "EdgePortal";

    /// <summary>
    /// Accounts, API keys, cookie and bearer authentication, sessions that end when access ends, sign-in throttling, single
    /// sign-on, the policies, and the first-start seed.
    /// </summary>
    public static IServiceCollection AddEdgePortalSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SecurityOptions>().Bind(configuration.GetSection(SecurityOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SecurityOptions>, SecurityOptionsValidator>();
        services.AddOptions<DemoUserOptions>().Bind(configuration.GetSection(SeedOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DemoUserOptions>, DemoUserOptionsValidator>();
        services.AddOptions<OidcSettings>().Bind(configuration.GetSection(OidcSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OidcSettings>, OidcSettingsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<OidcSettings>>().Value);

        services.AddSingleton<AccountService>();
        services.AddSingleton<ApiKeyService>();
        services.AddSingleton<UserAdministration>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<TrustedBrowser>();
        services.AddSingleton<AccessChanges>();
        services.AddSingleton<SessionValidator>();
        services.AddSingleton<SsoUsers>();
        services.AddSingleton<HubSessions>();
        services.AddHostedService(sp => sp.GetRequiredService<HubSessions>());
        services.AddHostedService<SecuritySeeder>();

        // Read here too, to decide whether the scheme exists at all; the options above validate it at start.
        var oidc = configuration.GetSection(OidcSettings.Section).Get<OidcSettings>() ?? new OidcSettings();
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Cookie or API key", o => o.ForwardDefaultSelector = SelectScheme)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = AccountEndpoints.LoginPath;
                o.LogoutPath = AccountEndpoints.LogoutPath;
                o.AccessDeniedPath = "/account/denied";
                o.Cookie.Name = "EdgePortal.Auth";
                o.Cookie.HttpOnly = true;
                // Never sent on a request another site starts (links included): no cross-site request carries the session.
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Secure whenever the request is https, as seen through trusted proxies (SecurityOptions.TrustedProxies).
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true;
                // The API and the hub answer 401/403 (as problem details); only pages redirect to the login form.
                o.Events.OnRedirectToLogin = c => Answer(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => Answer(c, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = c => c.HttpContext.RequestServices.GetRequiredService<SessionValidator>().ValidateCookieAsync(c);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddEdgePortalOidc(oidc);
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<SecurityOptions>, TimeProvider>((cookie, security, clock) =>
            {
                cookie.ExpireTimeSpan = TimeSpan.FromMinutes(security.Value.SessionIdleMinutes);
                // The portal's clock, so that the sliding expiry and the checks in SessionValidator agree (and tests can move it).
                cookie.TimeProvider = clock;
            });
        services.AddAuthorization(PortalPolicies.Add);
        // Progressive delays (SignInThrottle) slow guessing per account and address; this caps what one address may post at all.
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
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<SecurityOptions>>((forwarded, security) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var (prefix, length) in security.Value.ProxyNetworks())
                forwarded.KnownIPNetworks.Add(new System.Net.IPNetwork(prefix, length));
        });
        services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthenticationState>();
        services.AddScoped<CurrentTenant>();
        return services;
    }

    /// <summary>
    /// A bearer token goes to the API key handler. A cookie authenticates pages, the hub (whose browser connections are held to
    /// their origin) and reads of the API, but never a change through the API: another site's form or script could make the
    /// browser send it, so an unsafe API method without a key is anonymous and answered 401.
    /// </summary>
    private static string SelectScheme(HttpContext context)
        => ApiKeyAuthenticationHandler.BearerToken(context.Request) is not null
            || (context.Request.Path.StartsWithSegments("/api") && !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                ? ApiKeyAuthenticationHandler.SchemeName
                : CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>
    /// The middleware in front of routing: forwarded headers from trusted proxies (so the client's address and https are
    /// known), the security headers, HSTS over https, and the origin check of hub and circuit connections.
    /// </summary>
    public static WebApplication UseEdgePortalRequestSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.TrustedProxies.Length > 0)
            app.UseForwardedHeaders();
        app.UseMiddleware<SecurityHeaders>();
        if (!app.Environment.IsDevelopment())
            app.UseHsts();
        app.UseMiddleware<Origins>();
        return app;
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
