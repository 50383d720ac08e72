using System.Net;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>Bound to <c>EdgePortal:Security</c>.</summary>
public sealed class SecurityOptions
{
    public const string Section = "EdgePortal:Security";

    /// <summary>The provider admin created on first start, into an empty user store (with <see cref="AdminPassword"/>).</summary>
    public string? AdminUser { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>A provider-admin API key for automating a fresh install; stored hashed on first start.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>Failed sign-ins of one account (or one trusted browser) that pass without delay before the delays begin (default 3).</summary>
    public int SignInFreeFailures { get; set; } = 3;

    /// <summary>Failed sign-ins from one client address, any account, that pass without delay (default 20: a proxy's address is shared).</summary>
    public int SignInFreeFailuresPerAddress { get; set; } = 20;

    /// <summary>The longest delay between two checked sign-in attempts of one account or address (default 60 s); delays double up to it.</summary>
    public int SignInMaxDelaySeconds { get; set; } = 60;

    /// <summary>Sign-in posts one client address may make per minute, whatever the account and outcome (default 30).</summary>
    public int SignInAttemptsPerMinute { get; set; } = 30;

    /// <summary>A session unused this long ends (sliding; default 60 minutes).</summary>
    public int SessionIdleMinutes { get; set; } = 60;

    /// <summary>A session ends this long after its sign-in however active it is (default 12 hours).</summary>
    public int SessionAbsoluteHours { get; set; } = 12;

    /// <summary>
    /// How often a session (cookie, Blazor circuit, hub connection) is checked against the store: the user still exists, is
    /// enabled, has the same role, tenant and security stamp; the key is still usable (default 60 s, at most 60).
    /// </summary>
    public int SessionRevalidationSeconds { get; set; } = 60;

    /// <summary>
    /// Reverse proxies (addresses or CIDR networks, e.g. <c>10.0.0.0/8</c>) whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> are believed: the client address (sign-in throttling, audit) and https (Secure cookies, HSTS)
    /// come from them. Empty: the headers are ignored.
    /// </summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>
    /// Origins (<c>https://ops.example.com</c>) besides the portal's own whose browsers may open hub and Blazor connections.
    /// A browser from any other origin is refused; a client that sends no Origin (a script, a service) is not a browser.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>The largest request body the REST API reads (default 1 MiB); a larger one is answered 413 unread.</summary>
    public long MaxApiBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The parsed <see cref="TrustedProxies"/>; call only on validated options.</summary>
    public IReadOnlyList<(IPAddress Prefix, int Length)> ProxyNetworks()
        => [.. TrustedProxies.Select(p => ParseNetwork(p) ?? throw new InvalidOperationException($"{Section}:TrustedProxies: '{p}' is not an address or CIDR network."))];

    internal static (IPAddress Prefix, int Length)? ParseNetwork(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var parts = text.Trim().Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var address))
            return null;
        var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        if (parts.Length == 1)
            return (address, max);
        return int.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var length) && length >= 0 && length <= max ? (address, length) : null;
    }
}

/// <summary>Every rule of <see cref="SecurityOptions"/>, each refusal naming its configuration key.</summary>
public sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        var failures = new List<string>();
        void Require(bool ok, string key, string rule)
        {
            if (!ok)
                failures.Add($"{SecurityOptions.Section}:{key} {rule}");
        }
        Require(options.SignInFreeFailures is >= 1 and <= 100, nameof(options.SignInFreeFailures), "must lie in 1..100.");
        Require(options.SignInFreeFailuresPerAddress is >= 1 and <= 10_000, nameof(options.SignInFreeFailuresPerAddress), "must lie in 1..10000.");
        Require(options.SignInMaxDelaySeconds is >= 1 and <= 3600, nameof(options.SignInMaxDelaySeconds), "must lie in 1..3600.");
        Require(options.SignInAttemptsPerMinute >= 1, nameof(options.SignInAttemptsPerMinute), "must be at least 1.");
        Require(options.SessionIdleMinutes is >= 1 and <= 24 * 60, nameof(options.SessionIdleMinutes), "must lie in 1..1440.");
        Require(options.SessionAbsoluteHours is >= 1 and <= 24 * 30, nameof(options.SessionAbsoluteHours), "must lie in 1..720.");
        Require(options.SessionAbsoluteHours * 60 >= options.SessionIdleMinutes, nameof(options.SessionAbsoluteHours), "must be at least SessionIdleMinutes.");
        Require(options.SessionRevalidationSeconds is >= 1 and <= 60, nameof(options.SessionRevalidationSeconds),
            "must lie in 1..60: a revoked user or key must lose access within a minute.");
        Require(options.MaxApiBodyBytes >= 1024, nameof(options.MaxApiBodyBytes), "must be at least 1024.");
        Require(string.IsNullOrEmpty(options.BootstrapApiKey) || options.BootstrapApiKey.Length >= 32, nameof(options.BootstrapApiKey),
            "must be at least 32 characters (a high-entropy secret, e.g. openssl rand -hex 32).");
        Require(string.IsNullOrEmpty(options.AdminUser) || options.AdminPassword is { Length: >= 8 }, nameof(options.AdminPassword),
            "must be at least 8 characters when AdminUser is set.");
        if (!string.IsNullOrEmpty(options.AdminUser) && Core.Security.PortalUserNames.Problem(options.AdminUser) is { } problem)
            failures.Add($"{SecurityOptions.Section}:AdminUser is refused: {problem}");
        for (var i = 0; i < options.TrustedProxies.Length; i++)
            Require(SecurityOptions.ParseNetwork(options.TrustedProxies[i]) is not null, $"TrustedProxies:{i}",
                $"must be an IP address or a CIDR network (was '{options.TrustedProxies[i]}').");
        for (var i = 0; i < options.AllowedOrigins.Length; i++)
            Require(Origins.Normalize(options.AllowedOrigins[i]) is not null, $"AllowedOrigins:{i}",
                $"must be an http(s) origin such as https://ops.example.com (was '{options.AllowedOrigins[i]}').");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Bound to <c>EdgePortal:Seed</c> (the same section as the demo edge).</summary>
public sealed class DemoUserOptions
{
    public const string Key = Runtime.Simulated.SeedOptions.Section + ":DemoUsers";

    /// <summary>
    /// Seed one demo account per role, with the passwords the sign-in page shows, into an empty user store. Unset: on in the
    /// Development environment only (the demo profile of <c>dotnet run</c>). Any other environment refuses to start with it on.
    /// </summary>
    public bool? DemoUsers { get; set; }

    /// <summary>Whether demo users are on in <paramref name="environment"/>.</summary>
    public bool EnabledIn(IHostEnvironment environment) => DemoUsers ?? environment.IsDevelopment();
}

/// <summary>Refuses demo users (known passwords) anywhere but Development, naming the key.</summary>
public sealed class DemoUserOptionsValidator(IHostEnvironment environment) : IValidateOptions<DemoUserOptions>
{
    public ValidateOptionsResult Validate(string? name, DemoUserOptions options)
        => options.DemoUsers == true && !environment.IsDevelopment()
            ? ValidateOptionsResult.Fail($"{DemoUserOptions.Key} is on in the {environment.EnvironmentName} environment: demo users have published passwords. "
                + $"Turn it off and create the first admin with {SecurityOptions.Section}:AdminUser/AdminPassword or {SecurityOptions.Section}:BootstrapApiKey.")
            : ValidateOptionsResult.Success;
}
