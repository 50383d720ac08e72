namespace EdgePortal.Web.Security;

/// <summary>
/// The prefixes that tell principals apart in the audit log and the user list: <c>sso:</c> for a single sign-on user, <c>key:</c>
/// for an API key. A local account cannot take them, so that no one can pass for a key or an identity provider's user.
/// </summary>
public static class AccountNames
{
    public const string SsoPrefix = "sso:";
    public const string KeyPrefix = "key:";

    public static IReadOnlyList<string> ReservedPrefixes { get; } = [SsoPrefix, KeyPrefix];

    public static bool IsReserved(string userName)
        => ReservedPrefixes.Any(p => userName.TrimStart().StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The key the sign-in throttle and the store compare names by.</summary>
    public static string Normalize(string userName) => userName.Trim().ToLowerInvariant();
}
