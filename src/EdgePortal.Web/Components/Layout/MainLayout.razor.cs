using MudBlazor;

namespace EdgePortal.Web.Components.Layout;

public partial class MainLayout
{
    private readonly MudTheme _theme = new()
    {
        PaletteLight = new PaletteLight { Primary = "#0b6e99", Secondary = "#d9480f", AppbarBackground = "#0b3954" },
        PaletteDark = new PaletteDark { Primary = "#4fb3e0", Secondary = "#ff922b" },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"] },
        },
    };

    private bool _drawerOpen = true;
    private bool _darkMode;

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private void ToggleTheme() => _darkMode = !_darkMode;
}
