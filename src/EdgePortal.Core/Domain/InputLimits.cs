namespace EdgePortal.Core.Domain;

/// <summary>
/// How long what people type may be. Every input (API body, query, route, page form) is held to these, and a value over
/// its limit is refused naming its field, so nothing unbounded reaches the store, the audit log or a page.
/// </summary>
public static class InputLimits
{
    /// <summary>A name: of a tenant, cluster, node, site, service, user group, schedule, window, key or user.</summary>
    public const int Name = 100;

    /// <summary>A label's key or value.</summary>
    public const int Label = 63;

    /// <summary>How many labels a service or a selector may have.</summary>
    public const int LabelCount = 32;

    /// <summary>A short expression or identifier: a cron expression, a time zone, a host class, a region, an image, a filter.</summary>
    public const int Expression = 200;

    /// <summary>A password (long enough for any passphrase; hashing a longer one is work an attacker could ask for).</summary>
    public const int Password = 1000;

    /// <summary>How many entries a list in a body may have (clusters, days, tenants).</summary>
    public const int ListCount = 1000;

    /// <summary>Free text: a description or a reason.</summary>
    public const int FreeText = 2000;

    /// <summary>Why <paramref name="value"/> is too long for <paramref name="field"/>, or null when it is not.</summary>
    public static string? TooLong(string field, string? value, int max)
        => value is { Length: var length } && length > max ? $"{field} must be at most {max} characters (was {length})." : null;

    /// <summary>A value to echo in a message: at most 40 characters of it, so a refusal does not repeat a huge input.</summary>
    public static string Echo(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "…";
}
