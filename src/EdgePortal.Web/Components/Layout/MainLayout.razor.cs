using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace EdgePortal.Web.Components.Layout;

public partial class MainLayout
{
    private readonly MudTheme _theme = PortalTheme.Theme;

    /// <summary>Absent where nothing authenticates (a component test without authorization).</summary>
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    private string? _user;

    protected override async Task OnParametersSetAsync()
    {
        if (AuthenticationState is not null && (await AuthenticationState).User is { Identity.IsAuthenticated: true } principal)
        {
            var role = principal.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value;
            _user = role is null ? principal.Identity!.Name : $"{principal.Identity!.Name} · {role}";
        }
    }

    private bool _drawerOpen = true;
    private bool _darkMode;

    private void ToggleDrawer() => _drawerOpen = !_drawerOpen;

    private void ToggleTheme() => _darkMode = !_darkMode;
}
