using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// A real OCI registry: Debian's <c>docker-registry</c> (distribution 2.8) on 127.0.0.1 and a free port, storing in a temp
/// folder, with deletes enabled. Started once per test class that uses it, stopped by its PID on dispose. Without the
/// package the fixture fails with what to install: the tests never skip silently.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-registry-").FullName;
    private Process? _process;

    public string Host { get; private set; } = "";

    public Uri BaseUri => new($"http://{Host}/");

    public async Task InitializeAsync()
    {
        var binary = Which("docker-registry")
            ?? throw new InvalidOperationException("docker-registry is not installed: run ./test.sh as root once (it installs Debian's docker-registry package), or apt-get install -y docker-registry.");
        var port = FreePort();
        Host = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var config = Path.Combine(_folder, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: {Path.Combine(_folder, "data")}
              delete:
                enabled: true
            http:
              addr: {Host}
            """);
        _process = Process.Start(new ProcessStartInfo(binary, ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("docker-registry did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"docker-registry exited at once with code {_process.ExitCode} (config {config}).");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "v2/"));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(15))
                throw new TimeoutException($"docker-registry did not answer GET /v2/ on {Host} within 15 s.");
            // Readiness poll of an external process (~0.2 s to start), not a test waiting on time.
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':')
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
