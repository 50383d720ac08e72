using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// Debian's RabbitMQ 3.10 (the recipe of test-infrastructure.md: no systemd, everything under a temp HOME). In a lab
/// namespace (<see cref="StartAsync"/>) the node listens on that namespace's address only, epmd on its loopback, so that
/// the lab hosts reach it over the lab's links; lab.sh down kills whatever is left in the namespace (epmd). On the test's
/// own 127.0.0.1 (<see cref="StartLocalAsync"/>) it takes free ports and an epmd of its own on a free port, so that test
/// runs beside each other never meet, and stops that epmd on dispose. Stopped by killing it. Without the package it fails
/// with what to install: the tests never skip silently.
/// </summary>
public sealed class LabBroker : IAsyncDisposable
{
    private readonly Process _server;
    private readonly string _folder;
    private readonly StringBuilder _log = new();

    private readonly Dictionary<string, string> _environment;

    private LabBroker(Process server, string folder, string address, int amqpPort, Dictionary<string, string> environment)
    {
        _server = server;
        _folder = folder;
        Address = address;
        AmqpPort = amqpPort;
        _environment = environment;
    }

    public string Address { get; }

    /// <summary>The AMQP port of a broker in a lab namespace.</summary>
    public const int Port = 5672;

    /// <summary>The AMQP port this broker listens on (<see cref="Port"/> in a lab namespace, a free one on 127.0.0.1).</summary>
    public int AmqpPort { get; }

    /// <summary>The broker for a client, as guest (allowed from anywhere by the node's configuration).</summary>
    public Uri Uri => new($"amqp://guest:guest@{Address}:{AmqpPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>A broker inside the lab namespace <paramref name="networkNamespace"/>, on <paramref name="address"/>:<see cref="Port"/>.</summary>
    public static Task<LabBroker> StartAsync(string networkNamespace, string address) => StartAsync(networkNamespace, address, Port, null);

    /// <summary>A broker on 127.0.0.1 in the test's own namespace, on free ports, with its own epmd.</summary>
    public static Task<LabBroker> StartLocalAsync() => StartAsync(null, "127.0.0.1", FreeTcpPort(), FreeTcpPort());

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<LabBroker> StartAsync(string? networkNamespace, string address, int amqpPort, int? epmdPort)
    {
        foreach (var tool in (string[])["/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmqctl"])
            if (!File.Exists(tool))
                Assert.Fail($"{tool} is missing: install Debian's rabbitmq-server (./test.sh does).");
        var folder = Directory.CreateTempSubdirectory("edgeportal-rabbitmq-").FullName;
        // The lab's hosts and the portal (through the forwarder) connect from lab addresses: guest may log in from there.
        await File.WriteAllTextAsync(Path.Combine(folder, "rabbitmq.conf"), "loopback_users = none\ndisk_free_limit.absolute = 1MB\n");
        await File.WriteAllTextAsync(Path.Combine(folder, "enabled_plugins"), "[].\n");
        // The server and rabbitmqctl share HOME: one Erlang cookie made before either starts, or each may make its own and
        // the CLI's wait is refused ("Invalid challenge reply").
        var cookie = Path.Combine(folder, ".erlang.cookie");
        File.WriteAllText(cookie, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10)));
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(cookie, UnixFileMode.UserRead); // Erlang refuses a cookie others can read
        var environment = Environment(folder, address, amqpPort, epmdPort);
        var server = Start(networkNamespace, "/usr/lib/rabbitmq/bin/rabbitmq-server", [], environment);
        var broker = new LabBroker(server, folder, address, amqpPort, environment);
        server.OutputDataReceived += (_, e) => broker.Append(e.Data);
        server.ErrorDataReceived += (_, e) => broker.Append(e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            var wait = Start(networkNamespace, "/usr/lib/rabbitmq/bin/rabbitmqctl", ["-q", "wait", environment["RABBITMQ_PID_FILE"], "--timeout", "120"], environment);
            var output = wait.StandardOutput.ReadToEndAsync();
            var error = wait.StandardError.ReadToEndAsync();
            await wait.WaitForExitAsync();
            if (wait.ExitCode != 0)
                throw new InvalidOperationException($"RabbitMQ did not start in {networkNamespace} ({wait.ExitCode}): {await output}{await error}\n{broker.Log}");
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
        return broker;
    }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server.Dispose();
        if (_environment.ContainsKey("ERL_EPMD_PORT"))
        {
            // The broker's own epmd (daemonised, so not in the server's process tree): told to stop on its own port.
            using var kill = Start(null, "epmd", ["-kill"], _environment);
            await kill.WaitForExitAsync();
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The node may still be writing its logs while it dies: a temp folder left behind.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            if (_log.Length < 64_000)
                _log.AppendLine(line);
    }

    private static Dictionary<string, string> Environment(string folder, string address, int amqpPort, int? epmdPort)
    {
        var environment = new Dictionary<string, string>
        {
        ["HOME"] = folder,
        ["RABBITMQ_NODENAME"] = epmdPort is null ? "edgeportal@localhost" : $"edgeportal-{amqpPort.ToString(CultureInfo.InvariantCulture)}@localhost",
        ["RABBITMQ_NODE_IP_ADDRESS"] = address,
        ["RABBITMQ_NODE_PORT"] = amqpPort.ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_DIST_PORT"] = epmdPort is null ? "25672" : (amqpPort + 20000 > 65535 ? amqpPort - 20000 : amqpPort + 20000).ToString(CultureInfo.InvariantCulture),
        ["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia"),
        ["RABBITMQ_LOG_BASE"] = Path.Combine(folder, "log"),
        ["RABBITMQ_PID_FILE"] = Path.Combine(folder, "rabbit.pid"),
        ["RABBITMQ_CONFIG_FILE"] = Path.Combine(folder, "rabbitmq.conf"),
        ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(folder, "enabled_plugins"),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        };
        if (epmdPort is { } epmd)
            environment["ERL_EPMD_PORT"] = epmd.ToString(CultureInfo.InvariantCulture);
        return environment;
    }

    private static Process Start(string? networkNamespace, string file, string[] arguments, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(networkNamespace is null ? file : "nsenter") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in networkNamespace is null ? arguments : [$"--net={networkNamespace}", "--", file, .. arguments])
            info.ArgumentList.Add(a);
        foreach (var (k, v) in environment)
            info.Environment[k] = v;
        return Process.Start(info) ?? throw new InvalidOperationException($"nsenter {file} did not start.");
    }
}
