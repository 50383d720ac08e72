using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Testing;
using EdgePortal.Testing.Hosts;
using EdgePortal.Testing.Lab;
using Xunit.Abstractions;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// Issue 15's chaos on the real CRIU lab: <c>lab.sh up 2</c> with its agents as processes of their own (and RabbitMQ for
/// MessageReplay), the real portal as a process on a LiteDB file (<see cref="PortalProcess"/>, driven as the simulated chaos
/// drives it: <see cref="PortalChaos"/>), and the workload under load: the state service with the probe client over one TCP
/// connection (Cold), the message service consuming a numbered stream (MessageReplay). One migration per kill point: SIGKILL
/// of the portal while step k runs, for every step; SIGKILL of the source agent and of the destination agent mid-transfer.
/// After each kill the killed process is started again; the migration must end Completed or RolledBack, the service must be
/// recorded once on the right node and run as exactly one process, the client must get consecutive answers whose checksums
/// are the model's (its connection kept or reopened), and the message service must end with exactly the state of applying
/// every published message once. Each row (kill, outcome, downtime) is printed as "chaos-row|…" for bench/chaos-lab.sh.
/// The suite runs a representative subset (<see cref="SuiteKills"/>); EDGEPORTAL_CHAOS_FULL=1 runs every kill point.
/// </summary>
[Trait("Category", "CriuLab")]
[Collection(CriuLabCollection.Name)]
public sealed class CriuChaosTests(ITestOutputHelper output)
{
    private const long StateBytes = 10L * 1024 * 1024;
    private const string MessageService = "msgservice";
    private const string Exchange = "msgservice.in";
    private const string Queue = "msgservice.q";
    private const string Reports = "msgservice.reports";

    /// <summary>The kills of the suite's subset: the portal in the downtime steps that roll back or repeat, both agents mid-transfer.</summary>
    private static readonly string[] SuiteKills = ["portal:Checkpoint", "portal:Transfer", "portal:Restore", "source:Transfer", "destination:Transfer"];

    private static bool Full => Environment.GetEnvironmentVariable("EDGEPORTAL_CHAOS_FULL") == "1";

    [Fact]
    public Task Cold_PortalAndAgentsKilled_MigrationEndsCompletedOrRolledBackAndTheServiceRunsOnceWithItsState() =>
        RunAsync("Cold", "10.246.0");

    [Fact]
    public Task MessageReplay_PortalAndAgentsKilled_MigrationEndsCompletedOrRolledBackAndEveryMessageAppliedOnce() =>
        RunAsync("MessageReplay", "10.247.0");

    private async Task RunAsync(string strategy, string network)
    {
        await LabRequirements.EnsureAsync();
        var replay = strategy == "MessageReplay";
        await using var lab = await ChaosLab.UpAsync(network, replay, output);
        var service = await lab.ServiceIdAsync(replay ? MessageService : "lab-state");
        var rows = new List<string>();

        // The kill points: the portal in every step of the plan, then each agent while the images cross the link (the plan's
        // steps are known once the first migration is started).
        List<(string Who, int Step)>? kills = null;
        for (var i = 0; kills is null || i < kills.Count; i++)
        {
            using var api = lab.Portal.ApiClient();
            var before = await lab.ServiceAsync(service);
            var answersBefore = lab.Client?.Answers.Count ?? 0;
            var reconnectsBefore = lab.Client?.Reconnects.Count ?? 0;
            var appliedBefore = lab.Traffic?.Published ?? 0;
            var (id, kinds) = await lab.StartAsync(service, strategy);
            kills ??= [.. kinds.Select((kind, k) => (Who: "portal", Step: k))
                .Concat([("source", kinds.IndexOf("Transfer")), ("destination", kinds.IndexOf("Transfer"))])
                .Where(x => Full || SuiteKills.Contains($"{x.Item1}:{kinds[x.Item2]}"))];
            var (who, k) = kills[i];
            var kind = kinds[k];
            var at = await PortalChaos.WaitForStepAsync(api, id, k, TimeSpan.FromSeconds(120));
            // An agent is struck while the images cross the link (two seconds at the lab's rate), or this row would test nothing.
            Assert.True(who == "portal" || at.Running, $"{strategy}: the {who} agent was to be killed mid-transfer, the store showed {at.Label}");
            var victim = who switch { "portal" => "portal", "source" => before.Node, _ => lab.OtherNode(before.Node) };
            var clock = Stopwatch.StartNew();
            await lab.KillAsync(victim);
            await lab.RestartAsync(victim);
            var restartMs = clock.ElapsedMilliseconds;
            using var after = lab.Portal.ApiClient();
            var finished = await PortalChaos.FinishedAsync(after, id, TimeSpan.FromSeconds(240));
            var state = finished.GetProperty("state").GetString();
            var why = finished.TryGetProperty("failureReason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : "";
            var steps = string.Join("\n", finished.GetProperty("steps").EnumerateArray().Select(s => $"    {s.GetProperty("label")}: {s.GetProperty("status")} — {s.GetProperty("message")}"));
            var label = $"{strategy}, {who} killed in {kind} ({at.Label})";
            Assert.True(state is "Completed" or "RolledBack", $"{label}: ended {state} — {why}\n{steps}\n{lab.AgentLogs()}");

            // Recorded once, on the destination when Completed and on its source when RolledBack; nothing of it left in flight.
            var now = await lab.ServiceAsync(service);
            Assert.Equal(state == "Completed" ? finished.GetProperty("destination").GetString() : before.NodeId, now.NodeId);
            var open = await after.GetFromJsonAsync<JsonElement>($"api/v1/migrations?service={service}&state=Queued,Running,RollingBack");
            Assert.Equal(0, open.GetArrayLength());
            // Runs exactly once, on that node.
            var copies = await lab.RunningCopiesAsync(replay ? MessageService : "stateservice");
            Assert.True(copies.Count == 1 && copies[0].Host == now.Node,
                $"{label}: {state}, the service is recorded on {now.Node} and runs as [{string.Join(", ", copies)}] — {why}\n{steps}\n{lab.AgentLogs()}");

            double gapMs;
            string connection;
            if (replay)
            {
                // The surviving copy consumes: 200 more messages applied where the service now runs.
                var address = lab.Address(int.Parse(now.Node[^1..], CultureInfo.InvariantCulture));
                var applied = lab.Traffic!.Reports.Count(x => x.Host == address && x.Kind == 'a');
                await lab.Traffic.WaitForAsync(x => x.Count(y => y.Host == address && y.Kind == 'a') >= applied + 200, TimeSpan.FromSeconds(60),
                    $"{label}: 200 more messages applied on {now.Node}");
                gapMs = LongestGapMs(lab.Traffic, appliedBefore);
                connection = "broker: the copy reconnects";
            }
            else
            {
                await lab.Client!.WaitForAnswersAsync(lab.Client.Answers.Count + 100, TimeSpan.FromSeconds(60));
                var answers = lab.Client.Answers.Skip(Math.Max(0, answersBefore - 1)).ToList();
                gapMs = answers.Zip(answers.Skip(1), (x, y) => y.TimeUs - x.TimeUs).DefaultIfEmpty(0).Max() / 1000.0;
                connection = lab.Client.Reconnects.Count == reconnectsBefore ? "TCP kept" : "TCP reopened (read timeout)";
            }
            var downtime = finished.TryGetProperty("measuredDowntimeMs", out var d) && d.ValueKind == JsonValueKind.Number ? d.GetDouble() : 0;
            var row = string.Create(CultureInfo.InvariantCulture,
                $"chaos-row|{strategy}|{who} in {kind}|{at.Label}|{state}|{downtime:0}|{gapMs:0}|{connection}|{restartMs}|{why}");
            rows.Add(row);
            output.WriteLine(row);
            output.WriteLine(steps);
        }

        // The whole run: every answer the client saw in order with the model's checksum; every published message applied once.
        if (replay)
            await lab.VerifyMessagesAsync();
        else
            await lab.VerifyClientAsync();
        output.WriteLine($"{rows.Count} kills, every one ended Completed or RolledBack with the service intact.");
    }

    /// <summary>The longest gap (ms) between the first applications of consecutive numbers published from <paramref name="from"/> on.</summary>
    private static double LongestGapMs(MessageTraffic traffic, ulong from)
    {
        var first = traffic.Reports.Where(r => r.Kind == 'a').GroupBy(r => r.Seq).ToDictionary(g => g.Key, g => g.Min(r => r.TimeUs));
        var last = first.Keys.DefaultIfEmpty(0ul).Max();
        var gaps = new List<long>();
        for (var seq = Math.Max(1, from); seq < last; seq++)
            if (first.TryGetValue(seq, out var a) && first.TryGetValue(seq + 1, out var b))
                gaps.Add(b - a);
        return gaps.DefaultIfEmpty(0).Max() / 1000.0;
    }

    /// <summary>
    /// lab.sh's lab with its agents as processes (the tests' own build of the agent), the portal as a process over a LiteDB
    /// file that outlives it, the lab registered, and the workload with its client.
    /// </summary>
    private sealed class ChaosLab : IAsyncDisposable
    {
        private static int _labs;
        private readonly Dictionary<string, string> _environment;
        private readonly string _folder;
        private readonly ITestOutputHelper _output;
        private PortalProcessOptions _options = null!;
        private Process? _messageService;

        private ChaosLab(Dictionary<string, string> environment, string folder, string prefix, string network, ITestOutputHelper output)
        {
            _environment = environment;
            _folder = folder;
            Prefix = prefix;
            Network = network;
            _output = output;
        }

        public string Prefix { get; }
        public string Network { get; }
        public string Namespace(string host) => $"/run/netns/{Prefix}-{host}";
        public string Address(int host) => $"{Network}.{(10 + host).ToString(CultureInfo.InvariantCulture)}";
        public PortalProcess Portal { get; private set; } = null!;
        public ProbeClient? Client { get; private set; }
        public MessageTraffic? Traffic { get; private set; }
        private string State => $"/run/{Prefix}";

        public static async Task<ChaosLab> UpAsync(string network, bool replay, ITestOutputHelper output)
        {
            var prefix = $"epc{Environment.ProcessId % 100000}{Interlocked.Increment(ref _labs) % 10}";
            var folder = Directory.CreateTempSubdirectory("edgeportal-chaos-lab-").FullName;
            var port = FreeBasePort();
            var environment = new Dictionary<string, string>
            {
                ["LAB_PREFIX"] = prefix,
                ["LAB_NET"] = network,
                ["LAB_AGENT_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["LAB_BROKER_PORT"] = (port + 50).ToString(CultureInfo.InvariantCulture),
                // 10 MB take over two seconds over the link: long enough to strike an agent while they cross it.
                ["LAB_RATE"] = "40mbit",
                ["LAB_TENANT"] = $"Lab {prefix}",
                ["LAB_BROKER"] = replay ? "1" : "0",
                ["LAB_AGENT_DLL"] = AgentDll(),
            };
            var lab = new ChaosLab(environment, folder, prefix, network, output);
            try
            {
                output.WriteLine(await lab.ScriptAsync("up", "2"));
                var arguments = (await File.ReadAllLinesAsync($"{lab.State}/portal.args")).ToList();
                string? broker = null;
                if (replay)
                {
                    broker = (await File.ReadAllTextAsync($"{lab.State}/broker.uri")).Trim();
                    var key = $"--EdgePortal:AgentEdge:Clusters:{prefix}:Broker";
                    arguments.AddRange([$"{key}:Uri={broker}", $"{key}:Services:{MessageService}:Exchange={Exchange}", $"{key}:Services:{MessageService}:Queue={Queue}"]);
                }
                lab._options = new PortalProcessOptions
                {
                    ApiKey = PortalProcess.NewApiKey(),
                    Arguments = arguments,
                    Environment = new Dictionary<string, string> { ["EdgePortal__Storage__Path"] = Path.Combine(folder, "edgeportal.db") },
                };
                lab.Portal = await PortalProcess.StartAsync(lab._options);
                environment["LAB_PORTAL"] = lab.Portal.BaseAddress.ToString();
                environment["LAB_API_KEY"] = lab.Portal.ApiKey;
                if (replay)
                {
                    await lab.StartMessageServiceAsync(network, new Uri(broker!));
                    environment["LAB_EXTRA_SERVICES"] = $$"""
                        {"name":"{{MessageService}}","tenant":"Lab {{prefix}}","node":"{{prefix}}-h1","stateBytes":{{StateBytes}},"dirtyPagesPerSecond":0,
                        "messageArrivalRate":480,"messageProcessingRate":900,"maxDowntimeMs":5000,"maxMigrationTimeMs":20000,"maxUserLatencyMs":50,
                        "users":[{"name":"lab client","attachedTo":"{{prefix}}-h2","count":1}]}
                        """;
                }
                output.WriteLine(await lab.ScriptAsync("register"));
                if (!replay)
                {
                    lab.Client = new ProbeClient(Workloads.StartIn(lab.Namespace("client"), $"/var/lib/{prefix}/bin/probeclient", $"{network}.100", "7000", "5", "25"));
                    await lab.Client.WaitForAnswersAsync(100, TimeSpan.FromSeconds(30));
                }
                return lab;
            }
            catch
            {
                await lab.DisposeAsync();
                throw;
            }
        }

        /// <summary>A base port whose agents (base + 1, base + 2) and broker forwarder (base + 50) would find their ports free now.</summary>
        private static int FreeBasePort()
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = Random.Shared.Next(20_000, 60_000);
                if (Free(port + 1) && Free(port + 2) && Free(port + 50))
                    return port;
            }
            throw new InvalidOperationException("No free ports for the lab's agents.");

            static bool Free(int port)
            {
                try
                {
                    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                    listener.Start();
                    return true;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    return false;
                }
            }
        }

        private async Task StartMessageServiceAsync(string network, Uri broker)
        {
            var binary = Path.Combine(_folder, MessageService);
            await Lab.RunAsync("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", binary,
                Path.Combine(AppContext.BaseDirectory, "Criu", "Workload", "msgservice.c"), "-lrabbitmq"]);
            Traffic = await MessageTraffic.StartAsync(broker, Reports);
            _messageService = Workloads.StartIn(Namespace("h1"), binary, $"{network}.2", "5672", "guest", "guest", Exchange, Queue,
                StateBytes.ToString(CultureInfo.InvariantCulture), Reports, "1000");
            var ready = await _messageService.StandardOutput.ReadLineAsync();
            Assert.True(ready == $"consuming {Queue}", $"The message service did not start: {ready} {await _messageService.StandardError.ReadToEndAsync()}");
            await AgentCurlAsync(1, "PUT", $"criu/workloads/{MessageService}", $$"""{"pid":{{_messageService.Id}}}""");
            Traffic.StartPublishing(Exchange, 2);
            var h1 = Address(1);
            await Traffic.WaitForAsync(r => r.Count(x => x.Host == h1 && x.Kind == 'a') >= 300, TimeSpan.FromSeconds(30), "300 messages applied on h1");
        }

        /// <summary>Calls host <paramref name="host"/>'s agent as the portal (lab.sh's certificates), failing with its answer.</summary>
        private Task<string> AgentCurlAsync(int host, string method, string path, string? json = null)
        {
            var port = int.Parse(_environment["LAB_AGENT_PORT"], CultureInfo.InvariantCulture) + host;
            string[] args = ["--max-time", "30", "-fsS", "--cacert", $"{State}/tls/ca.crt", "--cert", $"{State}/tls/portal.crt", "--key", $"{State}/tls/portal.key",
                "-X", method, $"https://127.0.0.1:{port}/{path}"];
            if (json is not null)
                args = [.. args, "-H", "Content-Type: application/json", "-d", json];
            return Lab.RunAsync("curl", args);
        }

        private static string AgentDll()
        {
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            var dll = RepositoryRoot.File("src", "EdgePortal.Agent", "bin", configuration, "net10.0", "EdgePortal.Agent.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build the agent first ({configuration}): {dll} is missing.", dll);
        }

        public async Task<string> ServiceIdAsync(string name)
        {
            using var api = Portal.ApiClient();
            var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
            return services.EnumerateArray().Single(s => s.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
        }

        /// <summary>The node the service is recorded on (its id and name); the list must hold it exactly once.</summary>
        public async Task<(string NodeId, string Node)> ServiceAsync(string service)
        {
            using var api = Portal.ApiClient();
            var services = await api.GetFromJsonAsync<JsonElement>("api/v1/services");
            var s = services.EnumerateArray().Single(s => s.GetProperty("id").GetString() == service);
            return (s.GetProperty("nodeId").GetString()!, s.GetProperty("nodeName").GetString()!);
        }

        public string OtherNode(string node) => node == $"{Prefix}-h1" ? $"{Prefix}-h2" : $"{Prefix}-h1";

        /// <summary>Starts a migration of the service through the API; its id and the kinds of its planned steps.</summary>
        public async Task<(string Id, List<string> Kinds)> StartAsync(string service, string strategy)
        {
            using var api = Portal.ApiClient();
            var clock = Stopwatch.StartNew();
            while (true)
            {
                using var started = await api.PostAsJsonAsync("api/v1/migrations", new { serviceId = service, strategy, acceptTargetMiss = true });
                var body = await started.Content.ReadAsStringAsync();
                // A portal just started probes the agents first (criu check on each host): planned once it knows what they can do.
                if (!started.IsSuccessStatusCode && body.Contains("not probed yet", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(200);
                    continue;
                }
                Assert.True(started.IsSuccessStatusCode, $"{strategy}: {(int)started.StatusCode} {body}");
                var migration = JsonDocument.Parse(body).RootElement;
                return (migration.GetProperty("id").GetString()!, [.. migration.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("kind").GetString()!)]);
            }
        }

        /// <summary>SIGKILL: the portal's process tree, or a host's agent (by its lab.sh pid file).</summary>
        public async Task KillAsync(string victim)
        {
            if (victim == "portal")
            {
                Portal.Kill();
                await Portal.DisposeAsync();
                return;
            }
            var pid = (await File.ReadAllTextAsync($"{State}/agent-{Host(victim)}.pid")).Trim();
            await Lab.RunAsync("kill", ["-KILL", pid]);
            // Gone, not just signalled: the restart must not find it answering.
            var clock = Stopwatch.StartNew();
            while (Directory.Exists($"/proc/{pid}") && clock.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(20);
        }

        /// <summary>Starts the killed process again: the portal on the same database and configuration, an agent by lab.sh.</summary>
        public async Task RestartAsync(string victim)
        {
            if (victim == "portal")
                Portal = await PortalProcess.StartAsync(_options);
            else
                _output.WriteLine(await ScriptAsync("agent", Host(victim)[1..]));
        }

        private string Host(string node) => node[(Prefix.Length + 1)..];

        /// <summary>The live (not zombie) processes named <paramref name="comm"/> in the lab's host namespaces, with their host.</summary>
        public async Task<List<(string Host, int Pid)>> RunningCopiesAsync(string comm)
        {
            var found = new List<(string, int)>();
            foreach (var host in (string[])["h1", "h2"])
            {
                var pids = await Lab.RunAsync("ip", ["netns", "pids", $"{Prefix}-{host}"]);
                foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse))
                {
                    try
                    {
                        var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
                        var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
                        var status = stat[(stat.LastIndexOf(')') + 2)..][0];
                        if (name == comm && status is not ('Z' or 'X'))
                            found.Add(($"{Prefix}-{host}", pid));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Gone since ip listed it.
                    }
                }
            }
            return found;
        }

        /// <summary>
        /// Every answer of the whole run in order with the model's checksum, the request counter consecutive: but for one
        /// number across each reconnect, the request the client gave up on (sent into the old connection, which CRIU kept
        /// with the process, and applied by it; its answer went to the connection the client had closed by then).
        /// </summary>
        public async Task VerifyClientAsync()
        {
            await Client!.StopAsync();
            var answers = Client.Answers;
            var reconnects = Client.Reconnects.Select(l => long.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture)).ToList();
            var model = new StateModel(StateBytes);
            for (var i = 0; i < answers.Count; i++)
            {
                if (i > 0)
                {
                    var reconnected = reconnects.Any(t => t > answers[i - 1].TimeUs && t < answers[i].TimeUs);
                    var step = answers[i].Counter - answers[i - 1].Counter;
                    Assert.True(step == 1 || (reconnected && step == 2),
                        $"The request counter went from {answers[i - 1].Counter} to {answers[i].Counter}{(reconnected ? " across a reconnect" : "")}: state lost or a request answered twice. Reconnects: {string.Join("; ", Client.Reconnects)}");
                }
                model.AdvanceTo(answers[i].Steps);
                Assert.True(model.Checksum == answers[i].Checksum, $"Answer {answers[i].Counter} carries checksum {answers[i].Checksum}, the model says {model.Checksum}.");
            }
            _output.WriteLine($"client: {answers.Count} answers in order with the model's checksums, {Client.Reconnects.Count} reconnects {string.Join("; ", Client.Reconnects)}");
        }

        /// <summary>Stops the publisher; whoever consumes now applies the last one, and its state is applying 1..N once.</summary>
        public async Task VerifyMessagesAsync()
        {
            Traffic!.StopPublishing();
            var published = Traffic.Published;
            await Traffic.WaitForAsync(r => r.Any(x => x.Kind == 'a' && x.Seq == published), TimeSpan.FromSeconds(60), $"#{published} applied");
            var state = await Traffic.StatusAsync(Queue);
            var model = new MessageStateModel(StateBytes);
            for (ulong seq = 1; seq <= published; seq++)
                model.Apply(seq);
            Assert.True(state.Last == published && state.Counter == published && state.Lost == 0 && state.Memory == model.Checksum,
                $"Published 1..{published} (model checksum {model.Checksum}); the service says: {state}");
            _output.WriteLine($"messages: {published} published, each applied once (checksum {state.Memory} = the model's), {state.Duplicates} duplicates skipped, on {state.Host}");
        }

        public string AgentLogs()
        {
            var logs = Directory.Exists(State) ? Directory.GetFiles(State, "agent-h*.log") : [];
            return string.Join("\n", logs.Select(f => $"--- {Path.GetFileName(f)}\n{string.Join('\n', File.ReadLines(f).TakeLast(15))}"));
        }

        private Task<string> ScriptAsync(params string[] arguments) => Lab.RunAsync("bash", [RepositoryRoot.File("lab.sh"), .. arguments], _environment);

        public async ValueTask DisposeAsync()
        {
            if (Client is not null)
                await Client.DisposeAsync();
            if (Traffic is not null)
                await Traffic.DisposeAsync();
            if (Portal is not null)
                await Portal.DisposeAsync();
            if (_messageService is { HasExited: false })
                _messageService.Kill();
            _messageService?.Dispose();
            try
            {
                _output.WriteLine(await ScriptAsync("down"));
            }
            finally
            {
                Directory.Delete(_folder, recursive: true);
            }
        }
    }
}
