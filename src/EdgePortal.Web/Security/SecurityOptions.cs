namespace EdgePortal.Web.Security;

/// <summary>Bound to <c>EdgePortal:Security</c>.</summary>
public sealed class SecurityOptions
{
    public const string Section = "EdgePortal:Security";

    /// <summary>The provider admin created on first start when no account exists yet (with <see cref="AdminPassword"/>).</summary>
    public string? AdminUser { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>A provider-admin API key for automating a fresh install; stored hashed on first start.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>Failed logins in a row that lock an account (default 5).</summary>
    public int LockoutThreshold { get; set; } = 5;

    /// <summary>How long a locked account stays locked (default 15 minutes).</summary>
    public int LockoutMinutes { get; set; } = 15;

    /// <summary>Sign-in attempts one client address may make per minute, whatever the account (default 30): password spraying across accounts.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 30;

    /// <summary>The largest request body the REST API reads (default 1 MiB); a larger one is answered 413 unread.</summary>
    public long MaxApiBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>Bound to <c>EdgePortal:Seed</c> (the same section as the demo edge).</summary>
public sealed class DemoUserOptions
{
    /// <summary>Seed one demo account per role into a portal without accounts (default true). Set false for a real provider.</summary>
    public bool DemoUsers { get; set; } = true;
}
