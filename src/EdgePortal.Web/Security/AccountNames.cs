using EdgePortal.Core.Security;

namespace EdgePortal.Web.Security;

/// <summary>How sign-in names are compared and how single sign-on users are named (a prefix <see cref="PortalUserNames"/> reserves).</summary>
public static class AccountNames
{
    /// <summary>A single sign-on user's name starts with this (reserved: no local account can take it).</summary>
    public static string SsoPrefix => PortalUserNames.ReservedPrefixes[0];

    /// <summary>The key the sign-in throttle and the store compare names by.</summary>
    public static string Normalize(string userName) => userName.Trim().ToLowerInvariant();
}
