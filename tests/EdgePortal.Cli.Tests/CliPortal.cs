using System.Diagnostics;
using EdgePortal.Client;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Testing.Portal;

namespace EdgePortal.Cli.Tests;

/// <summary>
/// One portal per test class on Kestrel (the simulated demo edge, fast), and a SkyFleet operator key made through the API
/// with the bootstrap key, as a tenant's CI would hold one. <see cref="RunAsync"/> runs edgeportal in this process with its
/// own streams and environment; <see cref="RunProcessAsync"/> runs the built tool as its own process. Extra
/// <c>settings</c> configure the portal further (for example the simulator's injected faults).
/// </summary>
public sealed class CliPortal(double speedFactor = 50, IReadOnlyDictionary<string, string?>? settings = null) : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private PortalFactory _factory = null!;

    public Uri Address { get; private set; } = null!;

    /// <summary>A TenantOperator key of SkyFleet, made through POST /api/v1/keys.</summary>
    public string Key { get; private set; } = null!;

    /// <summary>The typed client with <see cref="Key"/>, for arranging and checking what the tool did.</summary>
    public EdgePortalClient Client { get; private set; } = null!;

    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var configuration = PortalFactory.FastEdge(speedFactor);
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
            configuration[name] = value;
        _factory = new PortalFactory(_folder.File("cli.db"), configuration);
        Address = _factory.StartOnKestrel();
        using (var admin = new EdgePortalConnection(Address, PortalFactory.BootstrapKey).CreateHttpClient())
        {
            var key = await EdgePortalConnection.Client(admin).CreateKeyAsync(new ApiKeyBody
            {
                Name = "skyfleet ci", Role = "TenantOperator", TenantId = DemoEdge.SkyFleet.Value,
            });
            Key = key.Key!;
        }
        _http = new EdgePortalConnection(Address, Key).CreateHttpClient();
        Client = EdgePortalConnection.Client(_http);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>The environment a CI job would give the tool: this portal and the SkyFleet key.</summary>
    public Dictionary<string, string?> Environment() => new()
    {
        [EdgePortalConnection.UrlVariable] = Address.ToString(),
        [EdgePortalConnection.KeyVariable] = Key,
    };

    /// <summary>Runs <c>edgeportal args</c> in this process; standard output and error captured, not a terminal.</summary>
    public Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) => RunAsync(environment, terminal: false, args);

    /// <summary>Runs <c>edgeportal args</c> in this process as if a person watched it on a terminal (<paramref name="terminal"/>) or not.</summary>
    public async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?> environment, bool terminal, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var code = await EdgePortalCommandLine.RunAsync(args, new CliConsole(output, error, terminal),
            name => environment.GetValueOrDefault(name), timeout.Token);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(Environment(), args);

    /// <summary>Runs the built tool (edgeportal.dll beside the tests) as its own process with the given environment.</summary>
    public async Task<CliRun> RunProcessAsync(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgeportal.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await output, await error);
    }
}

/// <summary>What one run of the tool left: its exit code and both streams.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
