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
public class RegistryFixture : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("edgeportal-registry-").FullName;
    private readonly bool _secure;
    private Process? _process;

    public RegistryFixture()
        : this(secure: false)
    {
    }

    /// <param name="secure">TLS (a certificate of <see cref="TestPki.Shared"/> for 127.0.0.1) and Basic authentication (htpasswd, <see cref="Username"/>).</param>
    protected RegistryFixture(bool secure) => _secure = secure;

    public string Host { get; private set; } = "";

    public Uri BaseUri => new($"{(_secure ? "https" : "http")}://{Host}/");

    /// <summary>The user the secure registry knows (htpasswd, bcrypt).</summary>
    public string Username => "edgeportal";

    /// <summary>A file holding <see cref="Username"/>'s password, as a Secret's key mounted as a file.</summary>
    public string PasswordFile => Path.Combine(_folder, "password");

    /// <summary>The CA of the secure registry's certificate.</summary>
    public static string AuthorityFile => TestPki.Shared.AuthorityFile;

    public async Task InitializeAsync()
    {
        var binary = Which("docker-registry")
            ?? throw new InvalidOperationException("docker-registry is not installed: run ./test.sh as root once (it installs Debian's docker-registry package), or apt-get install -y docker-registry.");
        var port = FreePort();
        Host = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var config = Path.Combine(_folder, "config.yml");
        var security = "";
        if (_secure)
        {
            var identity = TestPki.Shared.Issue("registry");
            await File.WriteAllTextAsync(PasswordFile, "lab-push-password-7f3a\n");
            var auth = await AuthenticationAsync(_folder);
            security = $"""

                  tls:
                    certificate: {identity.CertificateFile}
                    key: {identity.KeyFile}
                {auth}
                """;
        }
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
              addr: {Host}{security}
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

        using var http = new HttpClient(new SocketsHttpHandler
        {
            // Readiness only: the tests verify the certificate the way the agent does.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"docker-registry exited at once with code {_process.ExitCode} (config {config}).");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "v2/"));
                if (response.StatusCode == HttpStatusCode.OK || (_secure && response.StatusCode == HttpStatusCode.Unauthorized))
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

    /// <summary>
    /// The registry's <c>auth:</c> section (YAML at column 0): Basic with htpasswd (bcrypt of the password in
    /// <see cref="PasswordFile"/>) unless a subclass serves another.
    /// </summary>
    protected virtual async Task<string> AuthenticationAsync(string folder)
    {
        // bcrypt (cost 4) of the password in PasswordFile: docker-registry's htpasswd accepts bcrypt only.
        await File.WriteAllTextAsync(Path.Combine(folder, "htpasswd"), "edgeportal:$2b$04$i2794g/npSYE.6z2qb9uCuJAkjcBF6MKUd03bNEJzhppPfKzlSKh.\n");
        return $"""
            auth:
              htpasswd:
                realm: edgeportal-lab
                path: {Path.Combine(folder, "htpasswd")}
            """;
    }

    /// <summary>Stops what <see cref="AuthenticationAsync"/> started.</summary>
    protected virtual Task StopAuthenticationAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await StopAuthenticationAsync();
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

/// <summary>The registry over TLS with Basic authentication (htpasswd): a registry holding checkpoint images as secrets.</summary>
public sealed class SecureRegistryFixture : RegistryFixture
{
    public SecureRegistryFixture()
        : base(secure: true)
    {
    }
}
