using MudBlazor;

namespace EdgePortal.Web.Components.Layout;

/// <summary>
/// The portal's one theme, light and dark. MudBlazor's default status colours (success #00c853, warning #ff9800,
/// info #2196f3, error #f44336) are under the WCAG AA 4.5:1 ratio as text on white and as white text on themselves, and
/// its dark palette's secondary text is 4.25:1 on a dark surface: every state chip, Delete button and muted caption
/// failed axe-core's color-contrast. Each colour below is chosen for at least 4.5:1 in the places the portal uses it:
/// as text on the surface and on its own 6 % tint (text chips), and under its contrast text (filled chips, buttons).
/// <c>PortalThemeTests</c> computes those ratios, so a palette change that breaks them fails a test.
/// </summary>
public static class PortalTheme
{
    private const string DarkText = "rgba(0,0,0,0.87)";

    /// <summary>The cookie that keeps a browser's choice of theme (written by <c>wwwroot/js/theme.js</c>).</summary>
    public const string CookieName = "EdgePortal.Theme";

    /// <summary>Whether a request asks for the dark theme: its theme cookie says "dark". Light otherwise.</summary>
    public static bool IsDark(HttpRequest request) => request.Cookies[CookieName] == "dark";

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#0b6e99",
            Secondary = "#b93c0b",
            AppbarBackground = "#0b3954",
            Success = "#1b7a3a",
            Warning = "#9a5b00",
            Info = "#01579b",
            Error = "#c62828",
            TextSecondary = "rgba(0,0,0,0.68)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#4fb3e0",
            PrimaryContrastText = DarkText,
            Secondary = "#ff922b",
            SecondaryContrastText = DarkText,
            Success = "#81c784",
            SuccessContrastText = DarkText,
            Warning = "#ffb74d",
            WarningContrastText = DarkText,
            // "Darken" is what the portal uses for emphasised warning text (kpi-miss): on a dark surface it must be lighter.
            WarningDarken = "#ffc061",
            Info = "#81c7f5",
            InfoContrastText = DarkText,
            Error = "#ef9a9a",
            ErrorContrastText = DarkText,
            ErrorDarken = "#f4b0b0",
            TextSecondary = "rgba(255,255,255,0.70)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
