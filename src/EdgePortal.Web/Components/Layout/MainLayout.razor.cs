using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;
using MudBlazor;

namespace EdgePortal.Web.Components.Layout;

public partial class MainLayout : IAsyncDisposable
{
    private readonly MudTheme _theme = PortalTheme.Theme;

    /// <summary>Absent where nothing authenticates (a component test without authorization).</summary>
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }

    /// <summary>The theme this browser chose before (<see cref="Routes.DarkMode"/>).</summary>
    [CascadingParameter(Name = "DarkMode")] private bool DarkModeChosen { get; set; }

    [Inject] private IJSRuntime JS { get; set; } = default!;

    private string? _user;
    private IJSObjectReference? _themeModule;

    protected override void OnInitialized() => _darkMode = DarkModeChosen;

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

    /// <summary>Switches the theme at once and remembers the choice in this browser (<c>wwwroot/js/theme.js</c>).</summary>
    private async Task ToggleTheme()
    {
        _darkMode = !_darkMode;
        try
        {
            _themeModule ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/theme.js");
            await _themeModule.InvokeVoidAsync("remember", _darkMode);
        }
        catch (JSDisconnectedException)
        {
            // The browser left while the choice was being written: there is no page left to theme.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_themeModule is null)
            return;
        try
        {
            await _themeModule.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The circuit is gone, and the module with it.
        }
    }
}
