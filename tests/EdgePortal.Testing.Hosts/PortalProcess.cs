using System.Net.Http.Json;
using System.Diagnostics;
using System.Text;
using EdgePortal.Testing;

namespace EdgePortal.Testing.Hosts;

/// <summary>
/// The real portal as its own process: <c>dotnet EdgePortal.Web.dll</c> from the build the test run already has, on
/// 127.0.0.1 at a free port, with a temp LiteDB file (and its keys folder) unless the options point it at PostgreSQL,
/// the demo edge and the simulated runtime at <see cref="PortalProcessOptions.SpeedFactor"/>. A separate process rather than WebApplicationFactory: it is what an operator runs
/// (the same host, configuration binding, static web assets and start-up validation), nothing of the test process
/// leaks into it, and the start-up time measured here is the one a newcomer waits for.
/// </summary>
public sealed class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;
    private readonly StringBuilder _log = new();
    /// <summary>Completes when the portal logs that it is up (EdgePortalHosting's "EdgePortal is up"), fails when it exits first.</summary>
    private readonly TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PortalProcess(Process process, string dataDir, Uri baseAddress)
    {
        _process = process;
        _dataDir = dataDir;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>A bootstrap API key (ProviderAdmin) for arranging state the browser scenario is not about.</summary>
    public string ApiKey { get; private init; } = "";

    public HttpClient ApiClient()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        return client;
    }

    /// <summary>
    /// Creates an account through the API (the bootstrap key) with a random password and returns its id and password. The
    /// portal runs in Production, which has no demo users, so a test or bench makes the accounts it signs in as, the way an
    /// operator adds people to a fresh install. <paramref name="tenant"/> by name (null for a provider role).
    /// </summary>
    public async Task<(string Id, string Password)> CreateAccountAsync(string user, string role, string? tenant)
    {
        using var api = ApiClient();
        string? tenantId = null;
        if (tenant is not null)
        {
            var tenants = await api.GetFromJsonAsync<System.Text.Json.JsonElement>("api/v1/tenants");
            tenantId = tenants.EnumerateArray().Single(t => t.GetProperty("name").GetString() == tenant).GetProperty("id").GetString();
        }
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        using var created = await api.PostAsJsonAsync("api/v1/users", new { userName = user, password, role, tenantId });
        if (!created.IsSuccessStatusCode)
            throw new InvalidOperationException($"Creating the account {user} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
        return ((await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!, password);
    }

    /// <summary>From process start to the sign-in page answering 200.</summary>
    public TimeSpan StartupTime { get; private set; }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <param name="arguments">More configuration on the portal's command line (<c>--Key=value</c>), e.g. lab.sh's portal.args.</param>
    public static Task<PortalProcess> StartAsync(double speedFactor, CancellationToken cancellationToken = default, IReadOnlyList<string>? arguments = null)
        => StartAsync(new PortalProcessOptions { SpeedFactor = speedFactor, Arguments = arguments ?? [] }, cancellationToken);

    public static async Task<PortalProcess> StartAsync(PortalProcessOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var speedFactor = options.SpeedFactor;
        var arguments = options.Arguments;
        var dll = FindPortalDll();
        var dataDir = Directory.CreateTempSubdirectory("edgeportal-e2e-").FullName;
        var port = FreePort.Next();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        foreach (var argument in arguments ?? [])
            info.ArgumentList.Add(argument);
        // Production, as an operator runs a built portal: its static web assets (blazor.web.js, MudBlazor, CSS) come from
        // the build's manifest (BuildOutputStaticWebAssets), not from a Development-only switch. The demo's KPI monitor
        // and user mobility stay off here so that nothing but the test moves a service.
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["EdgePortal__Storage__Path"] = Path.Combine(dataDir, "edgeportal.db");
        info.Environment["EdgePortal__Seed__DemoEdge"] = "true";
        info.Environment["EdgePortal__Simulator__SpeedFactor"] = speedFactor.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["EdgePortal__Simulator__RandomSeed"] = "8";
        info.Environment["EdgePortal__Simulator__FailureProbability"] = "0";
        info.Environment["EdgePortal__Automation__KpiMonitorEnabled"] = "false";
        info.Environment["EdgePortal__Simulator__Mobility__Enabled"] = "false";
        // Many sign-ins from one address in a few seconds are the test, not an attack.
        info.Environment["EdgePortal__Security__SignInAttemptsPerMinute"] = "1000";
        var apiKey = options.ApiKey ?? NewApiKey();
        info.Environment["EdgePortal__Security__BootstrapApiKey"] = apiKey;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in options.Environment)
            info.Environment[name] = value;

        var started = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var portal = new PortalProcess(process, dataDir, baseAddress) { ApiKey = apiKey };
        process.OutputDataReceived += (_, e) => portal.Append(e.Data);
        process.ErrorDataReceived += (_, e) => portal.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // A test host killed mid-run must not leave the portal behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => portal.Kill();

        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => portal._up.TrySetException(new InvalidOperationException($"The portal exited with {process.ExitCode} before it was up."));
        if (process.HasExited)
            portal._up.TrySetException(new InvalidOperationException($"The portal exited with {process.ExitCode} before it was up."));
        try
        {
            await portal._up.Task.WaitAsync(TimeSpan.FromSeconds(90), cancellationToken);
            // Up means listening: the sign-in page must answer now.
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
            using var response = await http.GetAsync("account/login", cancellationToken);
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
        {
            await portal.DisposeAsync();
            throw new InvalidOperationException($"The portal did not come up ({e.Message}):\n{portal.Log}", e);
        }
        portal.StartupTime = started.Elapsed;
        return portal;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        if (line.Contains("EdgePortal is up", StringComparison.Ordinal))
            _up.TrySetResult();
    }

    /// <summary>A fresh bootstrap key: 64 hexadecimal characters.</summary>
    public static string NewApiKey() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Ends the process tree at once (SIGKILL on Linux): a crash, as far as the portal can tell.</summary>
    public void Kill() => Commands.Kill(_process);

    public ValueTask DisposeAsync() => Commands.StopAsync(_process, _dataDir);

    /// <summary>The portal built with the same configuration as these tests (Release under ./test.sh).</summary>
    private static string FindPortalDll()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var dll = RepositoryRoot.File("src", "EdgePortal.Web", "bin", configuration, "net10.0", "EdgePortal.Web.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the portal first ({configuration}): {dll} is missing.", dll);
    }
}

/// <summary>How a <see cref="PortalProcess"/> is started.</summary>
public sealed record PortalProcessOptions
{
    /// <summary>How much faster than real time the simulated edge runs.</summary>
    public double SpeedFactor { get; init; } = 1;

    /// <summary>More configuration on the command line (<c>--Key=value</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables set last, over the defaults (e.g. <c>EdgePortal__Storage__Provider</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The bootstrap API key; replicas of one portal share one. Null: a fresh one.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The environment of a replica on a shared PostgreSQL database and Redis.</summary>
    public static Dictionary<string, string> Replicated(string postgreSqlConnectionString, string? redisConfiguration) => new()
    {
        ["EdgePortal__Storage__Provider"] = "PostgreSql",
        ["EdgePortal__Storage__ConnectionString"] = postgreSqlConnectionString,
        ["EdgePortal__Redis__Configuration"] = redisConfiguration ?? "",
    };
}
