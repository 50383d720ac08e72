using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using EdgePortal.LoadBench;
using EdgePortal.Storage;
using EdgePortal.Testing.Hosts;
using PortalProcess = EdgePortal.LoadBench.PortalProcess;

// Issue 4: 1,000 simulated migrations in flight with 100 hub clients connected; event delivery p99 ≤ 100 ms from step
// completion to client receipt, and portal memory ≤ 500 MB. A benchmark: it measures and prints, and exits 1 when a
// target is missed, 2 when the run itself broke. Everything talks to 127.0.0.1 only; the portal is killed by PID.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var dll = options.PortalDll ?? Path.Combine(RepositoryRoot(), "src", "EdgePortal.Web", "bin", "Release", "net10.0", "EdgePortal.Web.dll");
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"No portal build at {dll}: run `dotnet build -c Release src/EdgePortal.Web` first (bench/hub-load.sh does).");
    return 2;
}

var folder = Path.Combine(Path.GetTempPath(), $"edgeportal-hub-load-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
Directory.CreateDirectory(folder);
var databasePath = Path.Combine(folder, "edge.db");
var run = new RunRecord { Options = options, LoadAtStart = LoadAverage(), LiteDbLogPath = options.Storage == StorageProvider.LiteDb ? Path.Combine(folder, "edge-log.db") : "" };
Console.WriteLine($"hub-load: {options.Migrations} migrations, {options.Clients} hub clients over {options.Tenants} tenants, " +
    $"{options.Replicas} replica(s) on {options.Storage}, speed factor {options.SpeedFactor}, {Environment.ProcessorCount} cores, load average {run.LoadAtStart}");

// 1. The store: a fresh LiteDB file, or a database on a throwaway PostgreSQL server (and Redis for replicas).
await using var postgreSql = options.Storage == StorageProvider.PostgreSql ? await PostgreSqlServer.StartAsync() : null;
await using var redis = options.Replicas > 1 ? await RedisServer.StartAsync() : null;
var storage = postgreSql is null
    ? new Dictionary<string, string> { ["EdgePortal:Storage:Path"] = databasePath }
    : new Dictionary<string, string> { ["EdgePortal:Storage:Provider"] = "PostgreSql", ["EdgePortal:Storage:ConnectionString"] = postgreSql.CreateDatabase() };

// 2. A synthetic edge written into it through the storage project's own repositories.
var inventory = LoadEdge.Build(options.Tenants, options.Clusters, options.NodesPerCluster, options.Services > 0 ? options.Services : options.Migrations, options.Seed);
run.TopologyRead = LoadEdge.Write(storage, inventory);
Console.WriteLine($"edge: {inventory.Tenants.Count} tenants, {inventory.Clusters.Count} simulated clusters, {inventory.Nodes.Count} nodes, " +
    $"{inventory.Links.Count} links, {inventory.Services.Count} services (1–5 MB) in {(postgreSql is null ? databasePath : "PostgreSQL")}");

// 3. The real portal, Release, as its own process(es) on 127.0.0.1; replicas behind one address.
// The API and the hub need a principal since issue 7: a one-run bootstrap provider-admin key, shared by the replicas.
var apiKey = "ep_bench_" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
var settings = new Dictionary<string, string>(storage)
{
    ["EdgePortal:Security:BootstrapApiKey"] = apiKey,
    ["EdgePortal:Seed:DemoEdge"] = "false",
    ["EdgePortal:Engine:MaxConcurrentPerCluster"] = Math.Max(1_000, options.Migrations).ToString(CultureInfo.InvariantCulture),
    ["EdgePortal:Engine:MaxOutboundPerNode"] = Math.Max(1_000, options.Migrations).ToString(CultureInfo.InvariantCulture),
    ["EdgePortal:Simulator:SpeedFactor"] = options.SpeedFactor.ToString(CultureInfo.InvariantCulture),
    ["EdgePortal:Simulator:RandomSeed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
};
if (redis is not null)
    settings["EdgePortal:Redis:Configuration"] = redis.Configuration;
foreach (var (key, value) in options.Extra)
{
    settings[key] = value;
    Console.WriteLine($"portal setting for this run: {key}={value}");
}
foreach (var (name, value) in options.Environment)
    Console.WriteLine($"portal environment for this run: {name}={value}");

var portals = Enumerable.Range(0, options.Replicas)
    .Select(i => PortalProcess.Start(dll, new Uri($"http://127.0.0.1:{FreePort()}"), settings, options.Environment, Path.Combine(folder, $"portal-{i}.log")))
    .ToList();
AppDomain.CurrentDomain.ProcessExit += (_, _) => portals.ForEach(p => p.KillNow());
Console.CancelKeyPress += (_, _) => portals.ForEach(p => p.KillNow());
using var deadline = new CancellationTokenSource(options.TimeLimit);
ReplicaFront? front = null;
HttpClient? http = null;
var exitCode = 2;
var clients = new List<HubListener>();
try
{
    foreach (var portal in portals)
    {
        using var direct = Direct(portal, apiKey);
        await portal.WaitReadyAsync(direct, TimeSpan.FromSeconds(90), deadline.Token);
        Console.WriteLine($"portal: PID {portal.Pid} at {portal.Url} (log {portal.LogPath})");
    }
    front = portals.Count > 1 ? await ReplicaFront.StartAsync([.. portals.Select(p => p.Url)]) : null;
    var url = front?.Address ?? portals[0].Url;
    if (front is not null)
        Console.WriteLine($"front: {url} → {portals.Count} replicas, round-robin with an affinity cookie");
    http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.PostConcurrency + 2 }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
    var clock = Stopwatch.StartNew();
    using var sampling = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
    var samplers = Task.WhenAll(SampleProcesses(portals, run, clock, sampling.Token), SampleMetrics(portals, apiKey, run, sampling.Token));

    // 4. Hub clients, client i on tenant i mod T; client i < T is that tenant's observer for completion.
    var tenants = inventory.Tenants.Select(t => t.Id.Value).ToArray();
    var finished = new ConcurrentDictionary<Guid, byte>();
    using (var gate = new SemaphoreSlim(10))
    {
        var connecting = Enumerable.Range(0, options.Clients).Select(async i =>
        {
            await gate.WaitAsync(deadline.Token);
            try
            {
                Action<Delivery>? observer = i < tenants.Length ? d => { if (d.Type == EventType.Finished) finished.TryAdd(d.Migration, 0); } : null;
                return await HubListener.ConnectAsync(i, new Uri(url, $"/hubs/migrations?access_token={apiKey}"), tenants[i % tenants.Length], observer, deadline.Token);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        foreach (var connect in connecting)
            clients.Add(await connect);
    }
    run.ClientsConnectedAt = clock.Elapsed;
    Console.WriteLine($"hub: {clients.Count} clients connected and subscribed in {clock.Elapsed.TotalSeconds:0.0} s" + (front is null ? ""
        : $" ({string.Join(", ", front.HubSockets.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Value} on {h.Key}"))})"));

    // 5. Start every migration through the REST API, a bounded number of requests at a time.
    var serviceIds = inventory.Services.Take(options.Migrations).Select(s => s.Id.Value).ToList();
    if (options.AcceptOnly)
    {
        // One start first, alone and not counted: the portal reads the edge once after it starts, then keeps it until it changes.
        await StartMigration(http, serviceIds[0], new RunRecord { Options = options, LoadAtStart = "", LiteDbLogPath = "" }, deadline.Token);
        serviceIds.RemoveAt(0);
    }
    run.RampStartedAt = clock.Elapsed;
    var cpuAtRampStart = portals.Sum(p => p.Sample()?.CpuSeconds ?? 0);
    run.RampStartedUtcTicks = DateTimeOffset.UtcNow.UtcTicks;
    var spacing = TimeSpan.FromSeconds(options.RampSeconds / serviceIds.Count);
    using (var gate = new SemaphoreSlim(options.PostConcurrency))
    {
        await Task.WhenAll(serviceIds.Select(async (serviceId, i) =>
        {
            var wait = run.RampStartedAt + spacing * i - clock.Elapsed;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, deadline.Token);
            await gate.WaitAsync(deadline.Token);
            try
            {
                await StartMigration(http, serviceId, run, deadline.Token);
            }
            finally
            {
                gate.Release();
            }
        }));
    }
    run.RampEndedAt = clock.Elapsed;
    run.RampEndedUtcTicks = DateTimeOffset.UtcNow.UtcTicks;
    Console.WriteLine($"api: {run.Accepted.Count} of {serviceIds.Count} migrations accepted in {(run.RampEndedAt - run.RampStartedAt).TotalSeconds:0.0} s " +
        $"({string.Join(", ", run.StatusCodes.OrderBy(s => s.Key).Select(s => $"{s.Value}× {s.Key}"))})");

    if (options.AcceptOnly)
    {
        // Issue 21 item 6: the acceptance rate alone; the migrations are left running (the simulator is slowed so none finishes).
        var posts = run.PostMs.Order().ToList();
        // CPU per accepted request: the portal's own work, which the other processes on the machine do not inflate as they do wall time.
        var cpuMs = (portals.Sum(p => p.Sample()?.CpuSeconds ?? 0) - cpuAtRampStart) * 1_000 / Math.Max(1, run.Accepted.Count);
        var seconds = (run.RampEndedAt - run.RampStartedAt).TotalSeconds;
        Console.WriteLine($"accept {inventory.Services.Count} services: {run.Accepted.Count / seconds:0.0} accepted/s, " +
            $"p50 {Quantile(posts, 0.50):0.0} ms, p99 {Quantile(posts, 0.99):0.0} ms, portal CPU {cpuMs:0.0} ms per accepted " +
            $"({run.Accepted.Count} of {serviceIds.Count} accepted, {options.PostConcurrency} at a time, load average {LoadAverage()}); " +
            $"topology after a service's write {run.TopologyRead.Milliseconds:0.0} ms, full read {run.TopologyRead.FullReadMs:0} ms");
        sampling.Cancel();
        await samplers;
        exitCode = run.Accepted.Count == serviceIds.Count ? 0 : 1;
        return exitCode;
    }

    // 6. Wait until every accepted migration has finished (as its tenant's observer saw), then let the last batches land.
    while (finished.Count < run.Accepted.Count && !deadline.IsCancellationRequested && !portals.Any(p => p.HasExited))
        await Task.Delay(250, CancellationToken.None);
    run.TimedOut = finished.Count < run.Accepted.Count;
    run.AllFinishedAt = clock.Elapsed;
    await Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None);
    sampling.Cancel();
    await samplers;
    run.Final = [.. portals.Select(p => p.Sample())];
    run.DatabaseBytesAtEnd = File.Exists(databasePath) ? new FileInfo(databasePath).Length : 0;
    run.ClientsClosed = clients.Sum(c => c.Closed);
    run.PortalExited = portals.Any(p => p.HasExited);
    run.LoadAtEnd = LoadAverage();

    var report = LoadReport.Analyse(run, clients);
    report.Print(Console.Out);
    exitCode = report.MetTargets ? 0 : 1;
}
catch (Exception e)
{
    Console.Error.WriteLine($"hub-load: the run broke off: {e.GetType().Name}: {e.Message} (portal logs in {folder})");
    exitCode = 2;
}
finally
{
    foreach (var client in clients)
        await client.DisposeAsync();
    http?.Dispose();
    if (front is not null)
        await front.DisposeAsync();
    foreach (var portal in portals)
    {
        var pid = portal.Pid;
        await portal.DisposeAsync();
        Console.WriteLine($"portal stopped (PID {pid} killed); log {portal.LogPath}");
    }
    if (!options.Keep)
        foreach (var file in Directory.EnumerateFiles(folder, "edge*.db"))
            File.Delete(file);
}
return exitCode;

static async Task StartMigration(HttpClient http, Guid serviceId, RunRecord run, CancellationToken cancellationToken)
{
    var sent = Stopwatch.GetTimestamp();
    using var response = await http.PostAsJsonAsync("/api/v1/migrations", new { serviceId, acceptTargetMiss = true }, cancellationToken);
    var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
    run.StatusCodes.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
    run.PostMs.Enqueue(elapsed);
    if (response.StatusCode != HttpStatusCode.Accepted)
    {
        run.Rejections.Enqueue(await response.Content.ReadAsStringAsync(cancellationToken));
        return;
    }
    using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
    var root = body.RootElement;
    if (run.FirstPlan is null)
        run.FirstPlan = string.Join(", ", root.GetProperty("steps").EnumerateArray()
            .Select(s => $"{s.GetProperty("kind").GetString()} {s.GetProperty("predictedMs").GetDouble():0} ms"));
    run.Accepted[root.GetProperty("id").GetGuid()] = new AcceptedMigration(root.GetProperty("tenantId").GetGuid(),
        root.GetProperty("strategy").GetString() ?? "?", root.GetProperty("steps").GetArrayLength(),
        root.GetProperty("steps").EnumerateArray().Sum(s => s.GetProperty("predictedMs").GetDouble()));
}

static double Quantile(IReadOnlyList<double> sorted, double q)
    => sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

static async Task SampleProcesses(IReadOnlyList<PortalProcess> portals, RunRecord run, Stopwatch clock, CancellationToken cancellationToken)
{
    using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
    var tick = 0;
    try
    {
        do
        {
            for (var i = 0; i < portals.Count; i++)
                if (portals[i].Sample() is { } sample)
                    run.Samples.Enqueue((clock.Elapsed, i, sample));
            if (File.Exists(run.LiteDbLogPath))
                run.PeakLiteDbLogBytes = Math.Max(run.PeakLiteDbLogBytes, new FileInfo(run.LiteDbLogPath).Length);
            if (tick++ % 10 == 0)
                run.LoadSamples.Enqueue(LoadAverage1());
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
    catch (OperationCanceledException)
    {
    }
}

// The engines' own gauges from each replica's /metrics (cheap, unlike listing 1,000 migrations), once a second, summed over
// the replicas, as a cross-check of the in-flight count that the report computes from the events' server timestamps.
static async Task SampleMetrics(IReadOnlyList<PortalProcess> portals, string apiKey, RunRecord run, CancellationToken cancellationToken)
{
    var replicas = portals.Select(p => Direct(p, apiKey)).ToList();
    try
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            double running = 0, queued = 0;
            foreach (var replica in replicas)
            {
                try
                {
                    var text = await replica.GetStringAsync("/metrics", cancellationToken);
                    foreach (var line in text.Split('\n'))
                    {
                        if (Gauge(line, "edgeportal_migrations_running") is { } r)
                            running += r;
                        else if (Gauge(line, "edgeportal_migrations_queued") is { } q)
                            queued += q;
                    }
                }
                catch (HttpRequestException)
                {
                }
            }
            run.MaxRunningGauge = Math.Max(run.MaxRunningGauge, running);
            run.MaxQueuedGauge = Math.Max(run.MaxQueuedGauge, queued);
            await Task.Delay(1_000, cancellationToken);
        }
    }
    catch (OperationCanceledException)
    {
    }
    finally
    {
        replicas.ForEach(r => r.Dispose());
    }
}

/// <summary>A client of one replica itself, not through the front.</summary>
static HttpClient Direct(PortalProcess portal, string apiKey)
{
    var client = new HttpClient { BaseAddress = portal.Url, Timeout = TimeSpan.FromSeconds(30) };
    client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
    return client;
}

static double? Gauge(string line, string name)
    => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{'
        && double.TryParse(line[(line.LastIndexOf('}') is var brace and >= 0 ? brace + 1 : name.Length)..].Trim().Split(' ')[0],
            CultureInfo.InvariantCulture, out var value) ? value : null;

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static double LoadAverage1() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "EdgePortal.sln")))
            return dir.FullName;
    throw new InvalidOperationException("EdgePortal.sln not found above the benchmark; pass --portal <EdgePortal.Web.dll>.");
}
