using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePortal.Agent;
using EdgePortal.Agent.Contracts.Tls;
using EdgePortal.Testing.Lab;
using EdgePortal.Agent.Criu;
using EdgePortal.Deployment.Tests.Images;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace EdgePortal.Deployment.Tests.Hosts;

/// <summary>
/// deploy/hosts/edgeportal-agent.service against the agent image and the agent's configuration: systemd accepts the unit,
/// its <c>podman run</c> names the capabilities it needs instead of --privileged, mounts what the configuration points at,
/// and, run for real against the image built from the Dockerfile, gives an agent that answers, whose CRIU says
/// "Looks good", that holds exactly those capabilities, and that reaches the host's Podman through the mounted socket.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class HostDeploymentTests(ImageFixture images, ITestOutputHelper output)
{
    private const string UnitFile = "edgeportal-agent.service";
    private const string PodmanSocket = "/run/podman/podman.sock";

    /// <summary>What deploy/hosts/README.md lists, each with its reason; the unit must add exactly these.</summary>
    private static readonly string[] Capabilities = ["CHECKPOINT_RESTORE", "SYS_PTRACE", "SYS_ADMIN", "NET_ADMIN", "NET_RAW"];

    /// <summary>The agent's mutual TLS keys the unit sets (the certificates' paths in the read-only mount, and the portal's name).</summary>
    private static readonly string[] TlsKeys = ["Tls:CertificateFile", "Tls:KeyFile", "Tls:ClientAuthorityFile", "Tls:PortalClientNames:0"];

    private static readonly SystemdUnit Unit = SystemdUnit.Parse(File.ReadAllText(RepositoryRoot.File("deploy", "hosts", UnitFile)));

    private static PodmanRun Run => PodmanRun.Parse(SystemdUnit.Words(Unit.Single("Service", "ExecStart")));

    [Fact]
    public async Task Unit_SystemdAnalyzeVerify_ReportsNothing()
    {
        const string analyze = "/usr/bin/systemd-analyze";
        Assert.True(File.Exists(analyze), $"{analyze} is missing (Debian package systemd; ./test.sh installs it).");
        Assert.True(File.Exists(Podman.Executable), $"{Podman.Executable} is missing: systemd-analyze checks that ExecStart's program exists (./test.sh installs podman).");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var result = await CommandRunner.RunAsync(analyze, ["verify", RepositoryRoot.File("deploy", "hosts", UnitFile)], cancellation.Token);

        // verify exits 0 on unknown keys and bad values too, and only says so: any output is a finding.
        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"systemd-analyze verify ({result.ExitCode}):\n{result.Output}");
    }

    [Fact]
    public void Unit_PodmanRun_NamesCapabilitiesAndHostNamespacesNotPrivileged()
    {
        var run = Run;

        Assert.Equal(Podman.Executable, run.Executable);
        Assert.False(run.Has("--privileged"), "the agent runs with named capabilities, never --privileged");
        Assert.Equal(["all"], run.Values("--cap-drop"));
        Assert.Equal(Capabilities.Order(StringComparer.Ordinal), run.AddedCapabilities.Order(StringComparer.Ordinal));
        Assert.Equal(["host"], run.Values("--network"));
        Assert.Equal(["host"], run.Values("--pid"));
        // CRIU's system calls are outside Podman's default seccomp profile, and it writes /proc/sys (ns_last_pid).
        Assert.Contains("seccomp=unconfined", run.Values("--security-opt"));
        Assert.Contains("unmask=/proc/sys", run.Values("--security-opt"));
        // Managed by systemd: the container is removed when it stops and replaced when the unit starts again.
        Assert.True(run.Has("--rm") && run.Has("--replace"));
        Assert.Equal("edgeportal-agent", Assert.Single(run.Values("--name")));
    }

    [Fact]
    public void Unit_Image_IsTheAgentTargetOfTheDockerfile()
    {
        var dockerfile = File.ReadAllText(RepositoryRoot.File("Dockerfile"));

        // The image the Dockerfile's header tells to build for the agent (podman names a local image localhost/NAME).
        var built = Regex.Match(dockerfile, @"podman build (?:--format docker )?--target agent -t (\S+) \.").Groups[1].Value;
        Assert.NotEmpty(built);
        Assert.Equal($"localhost/{built}:latest", Run.Image);
        Assert.Empty(Run.Command);
    }

    [Fact]
    public void Unit_Environment_IsTheAgentsConfiguration()
    {
        var settings = Run.Environment
            .Concat(EnvironmentFile(File.ReadAllText(RepositoryRoot.File("deploy", "hosts", "agent.env.example"))))
            .Where(e => e.Key.StartsWith("EdgePortal__", StringComparison.Ordinal))
            .ToList();
        var keys = settings.Select(e => e.Key).ToList();
        var prefix = AgentOptions.Section + ":";
        // The unit's and the example's own values: a value that does not convert (a switch that is not true/false) fails too.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)))
            .Build();

        Assert.All(keys, k => Assert.StartsWith(prefix.Replace(":", "__", StringComparison.Ordinal), k, StringComparison.Ordinal));
        // Every other key binds to a property of AgentOptions: a renamed option fails here, not silently on a host.
        var error = Record.Exception(() => configuration.GetSection(AgentOptions.Section).Bind(new AgentOptions(), o => o.ErrorOnUnknownConfiguration = true));
        Assert.True(error is null, error?.Message);
        // No shared token anywhere (the agent refuses to start with one); mutual TLS from the mounted certificates.
        Assert.DoesNotContain("EdgePortal__Agent__Token", keys);
        Assert.All(TlsKeys, k => Assert.Contains(prefix.Replace(":", "__", StringComparison.Ordinal) + k.Replace(":", "__", StringComparison.Ordinal), Run.Environment.Keys));
        // Peers come from the node's own configuration, by name and https URL.
        Assert.Contains(keys, k => k.StartsWith("EdgePortal__Agent__Peers__", StringComparison.Ordinal) && k.EndsWith("__Url", StringComparison.Ordinal));
    }

    [Fact]
    public void Unit_Paths_AreMountedWhereTheConfigurationPointsThem()
    {
        var run = Run;
        var volumes = run.Volumes;
        var paths = run.Environment.Where(e => e.Key.StartsWith("EdgePortal__", StringComparison.Ordinal) && e.Value.StartsWith('/')).ToList();

        Assert.NotEmpty(paths);
        Assert.All(paths, p => Assert.True(volumes.Any(v => Under(p.Value, v.Target)), $"{p.Key}={p.Value} is in no volume of the unit"));
        // The certificates are read-only in the container; the image directory is written.
        Assert.All(paths.Where(p => p.Key.Contains("__Tls__", StringComparison.Ordinal)), p => Assert.True(volumes.Single(v => Under(p.Value, v.Target)).ReadOnly, $"{p.Key}'s volume is not :ro"));
        var images = run.Environment["EdgePortal__Agent__ImageDirectory"];
        Assert.Equal(new AgentOptions().ImageDirectory, images);
        Assert.False(volumes.Single(v => Under(images, v.Target)).ReadOnly);
        // The host's Podman API socket at Podman's own rootful path, so any client in the container finds it.
        Assert.Contains(volumes, v => v.Source == PodmanSocket && v.Target == PodmanSocket);
        // Same path inside and outside: a path the agent hands to the host's Podman means the same file on both sides.
        Assert.All(volumes, v => Assert.Equal(v.Source, v.Target));
        Assert.Contains(Unit.All("Unit", "AssertPathExists"), p => p == Assert.Single(run.Values("--env-file")));
    }

    [Fact]
    public void Unit_CriuPath_IsWhereTheImageInstallsCriu()
    {
        var agent = Dockerfile.Parse(File.ReadAllText(RepositoryRoot.File("Dockerfile"))).Stages.Single(s => s.Name == "agent");
        var copy = agent.All("COPY").Single(c => c.Arguments.StartsWith("--from=criu-build", StringComparison.Ordinal) && c.Arguments.Contains("/criu ", StringComparison.Ordinal));

        Assert.Equal(CriuDriver.DefaultPath, copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(CriuDriver.DefaultPath, new AgentOptions().CriuPath);
        Assert.DoesNotContain("EdgePortal__Agent__CriuPath", Run.Environment.Keys);
    }

    [Fact]
    public async Task ExecStart_RunForReal_AgentAnswersWithWorkingCriuTheNamedCapabilitiesAndTheHostsPodman()
    {
        var image = await images.BuildAsync("agent");
        output.WriteLine(image.ToString());
        var temp = Directory.CreateTempSubdirectory("edgeportal-hosts-");
        string F(params string[] parts) => Path.Combine([temp.FullName, .. parts]);
        var name = Podman.UniqueName("edgeportal-agent-test");
        try
        {
        var port = FreePort();
        WriteCertificates(Directory.CreateDirectory(F("tls")).FullName);
        Directory.CreateDirectory(F("lib"));
        Directory.CreateDirectory(F("run"));
        File.WriteAllText(F("agent.env"), "EdgePortal__Agent__ServiceDevice=lo\n");
        // The unit's own command line; only host paths (to this test's folder), the container's name, the image (the one
        // just built) and the port (a free one, not 8471, on this shared machine) are replaced.
        var hostPaths = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["/etc/edgeportal/agent/tls"] = F("tls"),
            ["/var/lib/edgeportal"] = F("lib"),
            [PodmanSocket] = F("podman.sock"),
        };
        var unit = Run;
        Assert.All(unit.Volumes, v => Assert.True(hostPaths.ContainsKey(v.Source), $"the unit mounts {v.Source}, which this test does not provide"));
        var options = unit.Options
            .Select(o => o.Flag switch
            {
                "--volume" or "-v" => o with { Value = PodmanVolume.Parse(o.Value!) is var v ? (v with { Source = hostPaths[v.Source] }).ToString() : null },
                "--env-file" => o with { Value = F("agent.env") },
                "--name" => o with { Value = name },
                "--cidfile" => o with { Value = F("run", "agent.ctr-id") },
                _ => o,
            })
            .Append(new PodmanOption("--env", $"Urls=https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"))
            .ToList();
        var run = unit with { Options = options, Image = image.Tag };

        using var podmanService = await PodmanService.StartAsync(F("podman.sock"));
            await Podman.RunCheckedAsync(run.Arguments(), TimeSpan.FromMinutes(2));
            // As the portal: its client certificate, trusting the test CA and the node's name only.
            var pki = TestPki.Shared;
            using var client = AgentTls.Client(new PemCertificate(pki.Portal.CertificateFile, pki.Portal.KeyFile), new PemAuthorities(pki.AuthorityFile), Node);
            client.BaseAddress = new Uri($"https://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
            client.Timeout = TimeSpan.FromSeconds(30);
            Assert.Equal("ok", await Podman.WaitForAnswerAsync(client, "/healthz", name, TimeSpan.FromSeconds(60)));

            // The agent's own CRIU probe, run by the agent in its container with the unit's privileges.
            using var probe = JsonDocument.Parse(await client.GetStringAsync("/criu/capabilities"));
            var criu = probe.RootElement;
            Assert.True(criu.GetProperty("usable").GetBoolean(), criu.GetProperty("report").GetString());
            Assert.StartsWith("4.2", criu.GetProperty("version").GetString(), StringComparison.Ordinal);
            Assert.True(criu.GetProperty("tcpRepair").GetBoolean(), criu.GetProperty("report").GetString());

            // Exactly the named capabilities, effective in the agent's process, and no seccomp filter.
            var pid = (await Podman.RunCheckedAsync(["inspect", "--format", "{{.State.Pid}}", name], TimeSpan.FromMinutes(1))).Trim();
            var status = File.ReadAllLines($"/proc/{pid}/status");
            Assert.Equal(Capabilities.Order(StringComparer.Ordinal), LinuxCapabilities.Decode(Field(status, "CapEff")).Order(StringComparer.Ordinal));
            Assert.Equal("0", Field(status, "Seccomp"));

            // The host's Podman, through the mounted API socket (the same server the host's podman CLI talks to).
            var hostVersion = (await Podman.RunCheckedAsync(["version", "--format", "{{.Client.Version}}"], TimeSpan.FromMinutes(1))).Trim();
            using var version = JsonDocument.Parse(await Podman.ExecAsync(name, "curl", "-fsS", "--unix-socket", PodmanSocket, "http://d/v4.0.0/libpod/version"));
            Assert.Equal(hostVersion, version.RootElement.GetProperty("Version").GetString());
            // The agent's own Podman probe goes through that socket too (libpod's REST API; the image has no Podman).
            var podman = criu.GetProperty("podman");
            Assert.True(podman.GetProperty("remote").GetBoolean() && podman.GetProperty("usable").GetBoolean(), podman.GetProperty("detail").GetString());
            Assert.Equal(hostVersion, podman.GetProperty("version").GetString());

            // The network tools act on the host's network namespace (host network, NET_ADMIN, SYS_ADMIN for setns).
            Assert.Contains("127.0.0.1", await Podman.ExecAsync(name, "ip", "-o", "-4", "addr", "show", "dev", "lo"), StringComparison.Ordinal);
            await Podman.ExecAsync(name, "nft", "list", "tables");
            await Podman.ExecAsync(name, "nsenter", "--net=/proc/self/ns/net", "--", "true");
        }
        finally
        {
            await Podman.RemoveAsync(name);
            temp.Delete(recursive: true);
        }
    }

    private static bool Under(string path, string folder) => path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string Field(string[] status, string name)
        => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();

    private static Dictionary<string, string> EnvironmentFile(string text)
        => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private const string Node = "edge-test-node";

    /// <summary>The node's certificate and key and the CA (of the test run's <see cref="TestPki"/>) under the names the unit points at.</summary>
    private static void WriteCertificates(string folder)
    {
        var node = TestPki.Shared.Issue(Node);
        File.Copy(TestPki.Shared.AuthorityFile, Path.Combine(folder, "client-ca.crt"));
        File.Copy(node.CertificateFile, Path.Combine(folder, "tls.crt"));
        File.Copy(node.KeyFile, Path.Combine(folder, "tls.key"));
    }

    /// <summary><c>podman system service</c> on a socket of this test's own, standing in for the host's podman.socket.</summary>
    private sealed class PodmanService : IDisposable
    {
        private readonly Process _process;

        private PodmanService(Process process) => _process = process;

        public static async Task<PodmanService> StartAsync(string socket)
        {
            var info = new ProcessStartInfo(Podman.Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "system", "service", "--time=0", $"unix://{socket}" })
                info.ArgumentList.Add(a);
            var service = new PodmanService(Process.Start(info) ?? throw new InvalidOperationException("podman system service did not start"));
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline && !service._process.HasExited)
            {
                if (File.Exists(socket))
                {
                    using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await probe.ConnectAsync(new UnixDomainSocketEndPoint(socket));
                        return service;
                    }
                    catch (SocketException)
                    {
                        // Bound but not listening yet.
                    }
                }
                await Task.Delay(50);
            }
            var error = service._process.HasExited ? await service._process.StandardError.ReadToEndAsync() : "still not listening after 30 s";
            service.Dispose();
            throw new InvalidOperationException($"podman system service on {socket}: {error}");
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            _process.Dispose();
        }
    }
}
