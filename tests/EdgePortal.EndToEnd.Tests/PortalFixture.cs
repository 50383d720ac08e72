using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>
/// One real portal and one headless Debian Chromium for the whole suite. The simulated edge runs at
/// <see cref="SpeedFactor"/>: flight-control's plan (3.8 s simulated) then completes in about 2 s, slow enough that the
/// detail page first shows it Queued/Running and only a live update can turn it Completed (at 20× it finishes in
/// 0.2 s, before the page's first render, and the test could not tell live from snapshot), and video-analytics with a
/// relaxed time target (~38 s simulated) is still moving when the test cancels it. The portal is stopped (process
/// tree killed, temp data deleted) in all cases.
/// </summary>
public sealed class PortalFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public const double SpeedFactor = 2;

    public PortalProcess Portal { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Screenshots and failure captures: <c>bin/&lt;Configuration&gt;/net10.0/e2e-artifacts</c>.</summary>
    public static string ArtifactsDir { get; } = FreshArtifactsDir();

    /// <summary>Emptied once per run, so a FAILED-*.png left there belongs to this run.</summary>
    private static string FreshArtifactsDir()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "e2e-artifacts");
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        return Directory.CreateDirectory(dir).FullName;
    }

    /// <summary>
    /// The accounts the scenarios sign in as, one per role, with random passwords: the portal runs in Production, where demo
    /// users (and their published passwords) never exist, so the suite makes its own through the API with the bootstrap key —
    /// the way an operator adds people to a fresh install.
    /// </summary>
    public static IReadOnlyList<(string User, string Role, string? Tenant)> Accounts { get; } =
    [
        ("admin", "ProviderAdmin", null),
        ("operator", "ProviderOperator", null),
        ("skyfleet-admin", "TenantAdmin", "SkyFleet Drones"),
        ("skyfleet-operator", "TenantOperator", "SkyFleet Drones"),
        ("arena-viewer", "Viewer", "ARena Play"),
        ("arena-operator", "TenantOperator", "ARena Play"),
    ];

    private readonly Dictionary<string, string> _passwords = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: apt-get install chromium (./test.sh does it as root).");
        Portal = await PortalProcess.StartAsync(SpeedFactor);
        foreach (var (user, role, tenant) in Accounts)
            await CreateAccountAsync(user, role, tenant);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (Portal is not null)
            await Portal.DisposeAsync();
    }

    private readonly SemaphoreSlim _arrangeGate = new(1, 1);
    private AccessibilityArrangement? _arranged;

    /// <summary>
    /// Once per run, through the API: leaderboard migrated to the end (a Completed chip, a downtime point on the
    /// Overview) and mission-planner's migration cancelled (a Cancelled or RolledBack chip), so that the pages axe
    /// checks show the colours and links a real edge shows, not only their empty states.
    /// </summary>
    public async Task<AccessibilityArrangement> AccessibilityArrangeAsync()
    {
        await _arrangeGate.WaitAsync();
        try
        {
            if (_arranged is not null)
                return _arranged;
            using var api = Portal.ApiClient();
            var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
            string Id(string name) => services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

            var completed = await StartAsync(api, Id("leaderboard"));
            var cancelled = await StartAsync(api, Id("mission-planner"));
            using (var cancel = await api.PostAsync($"api/v1/migrations/{cancelled}/cancel", null))
                Assert.True(cancel.IsSuccessStatusCode || cancel.StatusCode == System.Net.HttpStatusCode.Conflict, await cancel.Content.ReadAsStringAsync());
            await FinishedAsync(api, completed, "Completed");
            await FinishedAsync(api, cancelled, "Cancelled", "RolledBack", "Completed");
            return _arranged = new AccessibilityArrangement(Id("leaderboard"), completed);
        }
        finally
        {
            _arrangeGate.Release();
        }
    }

    private static async Task<string> StartAsync(HttpClient api, string serviceId)
    {
        using var started = await api.PostAsJsonAsync("api/v1/migrations", new { serviceId, acceptTargetMiss = true });
        Assert.True(started.IsSuccessStatusCode, await started.Content.ReadAsStringAsync());
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Follows the migration through the API until it is in one of <paramref name="states"/> (30 s at most).</summary>
    private static async Task FinishedAsync(HttpClient api, string migrationId, params string[] states)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var state = "";
        do
        {
            var migration = await api.GetFromJsonAsync<JsonElement>($"api/v1/migrations/{migrationId}", deadline.Token);
            state = migration.GetProperty("state").GetString()!;
            if (states.Contains(state))
                return;
        }
        while (await tick.WaitForNextTickAsync(deadline.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result));
        Assert.Fail($"Migration {migrationId} is still {state} after 30 s (expected {string.Join(" or ", states)}).");
    }

    /// <summary>
    /// Creates an account on the suite's portal (<see cref="PortalProcess.CreateAccountAsync"/>) and remembers its password for
    /// <see cref="SignInAsync(string)"/>; <paramref name="tenant"/> by name. Returns the account's id.
    /// </summary>
    public async Task<string> CreateAccountAsync(string user, string role, string? tenant)
    {
        var (id, password) = await Portal.CreateAccountAsync(user, role, tenant);
        lock (_passwords)
            _passwords[user] = password;
        return id;
    }

    /// <summary>A fresh browser context signed in as one of the suite's accounts through the static login form, on the overview with its circuit up.</summary>
    public async Task<IPage> SignInAsync(string user)
    {
        string password;
        lock (_passwords)
            password = _passwords[user];
        return await SignInAsync(await NewPageAsync(), user, password, Portal);
    }

    /// <summary>Signs <paramref name="page"/> in through <paramref name="portal"/>'s static login form and waits for the overview's circuit.</summary>
    public static async Task<IPage> SignInAsync(IPage page, string user, string password, PortalProcess portal)
    {
        await page.GotoAsync("/account/login");
        await page.Locator("#userName").FillAsync(user);
        await page.Locator("#password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        try
        {
            // Until the navigation commits, not until "load": a CI run sat on the overview for 15 s with the sign-in logged and
            // the page's load event never reported to Playwright. Readiness is the circuit's, waited for below.
            await page.WaitForURLAsync(url => !url.Contains("/account/login", StringComparison.Ordinal),
                new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit });
        }
        catch (TimeoutException e)
        {
            // Say why: a refusal the form shows, or what the portal logged meanwhile.
            var shown = await page.Locator("#login-error").AllTextContentsAsync();
            var log = portal.Log.Split('\n');
            throw new TimeoutException($"Signing in as {user} stayed on {page.Url} ({(shown.Count > 0 ? $"the form says: {shown[0]}" : "no refusal shown")}). "
                + $"The portal's last log lines:\n{string.Join('\n', log.TakeLast(30))}", e);
        }
        await WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>A page in a fresh browser context (no cookies: signed out) on the portal, its errors logged.</summary>
    public Task<IPage> NewPageAsync() => NewPageAsync(Portal);

    /// <summary>A page in a fresh browser context on <paramref name="portal"/> (another portal than the suite's, e.g. a replica).</summary>
    public async Task<IPage> NewPageAsync(PortalProcess portal)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        page.Console += (_, message) => { if (message.Type is "error" or "warning") BrowserErrors.Add($"[{message.Type}] {message.Text}"); };
        page.PageError += (_, error) => BrowserErrors.Add($"[page error] {error}");
        return page;
    }

    /// <summary>Console errors and uncaught exceptions of every page, for failure messages.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<string> BrowserErrorLog { get; } = new();

    private static class BrowserErrors
    {
        public static void Add(string line) => BrowserErrorLog.Enqueue(line);
    }

    /// <summary>Navigates with a full load and waits until the page's Blazor circuit is interactive.</summary>
    public static async Task GotoAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WaitForCircuitAsync(page);
    }

    /// <summary>
    /// The page is prerendered, then Blazor attaches a circuit over a WebSocket: clicks before that do nothing.
    /// blazor.web.js sets <c>Blazor.disconnect</c> once the circuit has started; the first interactive render, which
    /// attaches the event handlers, comes after it (on a loaded machine a click in between was lost: the theme toggle did
    /// nothing) and removes the layout's <c>.circuit-pending</c> bar. Both together are the signal.
    /// </summary>
    public static async Task WaitForCircuitAsync(IPage page)
    {
        try
        {
            await page.WaitForFunctionAsync(
                "() => !!window.Blazor && typeof window.Blazor.disconnect === 'function' && !document.querySelector('.circuit-pending')", null,
                new PageWaitForFunctionOptions { Timeout = 20_000, PollingInterval = 50 });
        }
        catch (TimeoutException e)
        {
            var blazor = await page.EvaluateAsync<string>("() => (window.Blazor ? Object.keys(window.Blazor).join(',') : 'no window.Blazor') + ' ' + performance.getEntriesByType('resource').map(r => r.name + '=' + r.responseStatus).join(' ') + ' ' + document.title");
            throw new TimeoutException($"No Blazor circuit on {page.Url} within 20 s (Blazor: {blazor}). Browser errors: {string.Join(" | ", BrowserErrorLog)}", e);
        }
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDir, name + ".png"), FullPage = true });
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalFixture>
{
    public const string Name = "portal";
}

/// <summary>The service and completed migration <see cref="PortalFixture.AccessibilityArrangeAsync"/> made.</summary>
public sealed record AccessibilityArrangement(string ServiceId, string CompletedMigrationId);

