using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using EdgePortal.Core.Domain;
using EdgePortal.HistoryBench;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Storage;
using EdgePortal.Storage.PostgreSql;
using EdgePortal.Testing.Hosts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

// Issue 19, item 7: the Overview's render time and GET /api/v1/migrations?limit=50 at growing stored history, on both
// stores. The history is written straight into the store (bulk, in time order over 300 days), the real portal (Release,
// its own process) is started on it, and each figure is the median and p95 of timed requests after warm-up.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var sizes = Arg("--sizes", "10000,100000,1000000").Split(',').Select(int.Parse).Order().ToArray();
var providers = Arg("--providers", "LiteDb,PostgreSql").Split(',').Select(Enum.Parse<StorageProvider>).ToArray();
var requests = int.Parse(Arg("--requests", "30"));
Console.WriteLine($"history bench: sizes {string.Join(", ", sizes)}, providers {string.Join(", ", providers)}, {requests} timed requests each, " +
    $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg")[..14]}");

var results = new List<string>();
foreach (var provider in providers)
{
    var folder = Directory.CreateTempSubdirectory("edgeportal-history-bench-").FullName;
    PostgreSqlServer? server = null;
    try
    {
        var settings = new Dictionary<string, string?> { ["EdgePortal:Storage:Provider"] = provider.ToString() };
        if (provider == StorageProvider.PostgreSql)
        {
            server = await PostgreSqlServer.StartAsync();
            settings["EdgePortal:Storage:ConnectionString"] = server.CreateDatabase();
        }
        else
            settings["EdgePortal:Storage:Path"] = Path.Combine(folder, "edge.db");
        var history = new SyntheticHistory(DemoEdge.Build(), sizes[^1], seed: 19);
        using (var store = Open(settings))
            store.GetRequiredService<IInventoryRepository>().SaveAll(history.Inventory);

        var loaded = 0;
        var apiKey = PortalProcess.NewApiKey();
        (string Admin, string Operator)? accounts = null;
        foreach (var size in sizes)
        {
            var clock = Stopwatch.StartNew();
            using (var store = Open(settings))
            {
                if (provider == StorageProvider.PostgreSql)
                    PostgreSqlHistoryLoader.Load(store.GetRequiredService<PostgreSqlDatabase>(), history.Migrations(loaded, size));
                else
                    LiteDbHistoryLoader.Load(store.GetRequiredService<EdgeDatabase>(), history.Migrations(loaded, size));
            }
            var loadSeconds = clock.Elapsed.TotalSeconds;
            loaded = size;
            var storeBytes = provider == StorageProvider.PostgreSql ? DatabaseBytes(settings["EdgePortal:Storage:ConnectionString"]!)
                : new FileInfo(settings["EdgePortal:Storage:Path"]!).Length;

            var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
            environment["EdgePortal__Retention__Migrations"] = "00:00:00";
            await using var portal = await PortalProcess.StartAsync(new PortalProcessOptions { Environment = environment, ApiKey = apiKey });
            // Production has no demo users: the bench makes its two accounts once, on the first portal, in the store they share.
            accounts ??= (Admin: (await portal.CreateAccountAsync("admin", "ProviderAdmin", null)).Password,
                Operator: (await portal.CreateAccountAsync("skyfleet-operator", "TenantOperator", "SkyFleet Drones")).Password);
            var overview = await Timing.OverviewAsync(portal, "admin", accounts.Value.Admin, requests);
            var tenantOverview = await Timing.OverviewAsync(portal, "skyfleet-operator", accounts.Value.Operator, requests);
            var list = await Timing.ListAsync(portal, "api/v1/migrations?limit=50", requests);
            var walk = await Timing.PageThroughAsync(portal, Math.Min(size, 10_000), pageSize: 1_000, count: 5);
            var line = $"history {provider} {size,9:N0}: Overview p50 {overview.P50:0.0} ms p95 {overview.P95:0.0} ms (a tenant's: p50 {tenantOverview.P50:0.0} ms), " +
                $"GET /api/v1/migrations?limit=50 p50 {list.P50:0.0} ms p95 {list.P95:0.0} ms, {Math.Min(size, 10_000):N0} rows in pages of 1,000 p50 {walk.P50:0} ms; loaded in {loadSeconds:0.0} s, store {storeBytes / 1e6:0} MB, portal up in {portal.StartupTime.TotalSeconds:0.0} s";
            Console.WriteLine(line);
            results.Add(line);
        }
    }
    finally
    {
        if (server is not null)
            await server.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
Console.WriteLine();
Console.WriteLine("== history summary ==");
results.ForEach(Console.WriteLine);
return 0;

static ServiceProvider Open(Dictionary<string, string?> settings)
{
    var services = new ServiceCollection();
    services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
    services.AddEdgePortalStorage(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
    return services.BuildServiceProvider();
}

static long DatabaseBytes(string connectionString)
{
    using var connection = new Npgsql.NpgsqlConnection(connectionString);
    connection.Open();
    using var command = new Npgsql.NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
    return (long)command.ExecuteScalar()!;
}

string Arg(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

namespace EdgePortal.HistoryBench
{
    /// <summary>Finished migrations of the demo edge's services, in time order over 300 days: 9 in 10 Completed, the rest RolledBack.</summary>
    internal sealed class SyntheticHistory(EdgeInventory inventory, int total, int seed)
    {
        private static readonly DateTimeOffset End = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        private static readonly TimeSpan Span = TimeSpan.FromDays(300);

        public EdgeInventory Inventory { get; } = inventory;

        public IEnumerable<Migration> Migrations(int from, int to)
        {
            var random = new Random(seed + from);
            var services = Inventory.Services;
            for (var i = from; i < to; i++)
            {
                var service = services[random.Next(services.Count)];
                var source = Inventory.Nodes.First(n => n.Id == service.NodeId);
                var peers = Inventory.Nodes.Where(n => n.ClusterId == source.ClusterId && n.Id != source.Id).ToList();
                var destination = peers[random.Next(peers.Count)];
                var at = End - Span + TimeSpan.FromTicks(Span.Ticks / total * i);
                PlannedStep[] steps =
                [
                    new(StepKind.Profile, 0, 40, false), new(StepKind.Checkpoint, 0, 120, true), new(StepKind.Transfer, 0, 300.5, true),
                    new(StepKind.Restore, 0, 200, true), new(StepKind.SwitchTraffic, 0, 10, false), new(StepKind.CleanUp, 0, 30, false),
                ];
                var plan = new MigrationPlan(MigrationStrategy.Cold, source.Id, destination.Id, Bandwidth.FromMegabits(500), 0, null, 620.5, 700.5, steps, true,
                    "downtime", "Cold fits: the state is small.");
                var migration = Migration.Create(service, source.ClusterId, plan, service.Targets, service.Objective, MigrationTrigger.Schedule, "history-bench", at);
                migration.Start(at.AddMilliseconds(5));
                var fails = random.Next(10) == 0;
                for (var s = 0; s < steps.Length; s++)
                {
                    migration.BeginStep(s, at.AddMilliseconds(10 + s * 100));
                    if (fails && s == 2)
                    {
                        migration.FailStep(s, "connection reset by peer", 42, at.AddMilliseconds(60 + s * 100));
                        migration.CompleteRollback("source serving again", at.AddMilliseconds(900));
                        break;
                    }
                    migration.CompleteStep(s, steps[s].PredictedMs * (0.9 + random.NextDouble() * 0.2), null, at.AddMilliseconds(90 + s * 100));
                }
                if (!fails)
                    migration.Complete(at.AddMilliseconds(700));
                migration.DequeueEvents();
                yield return migration;
            }
        }
    }

    /// <summary>Timed requests against a running portal: a signed-in Overview (the server renders it whole) and an API list.</summary>
    internal static partial class Timing
    {
        public static async Task<(double P50, double P95)> OverviewAsync(PortalProcess portal, string user, string password, int count)
        {
            var cookies = new CookieContainer();
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = portal.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            var form = await browser.GetStringAsync("account/login");
            var token = WebUtility.HtmlDecode(TokenInput().Match(form).Groups[1].Value);
            using var signIn = await browser.PostAsync("account/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["userName"] = user, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
            }));
            signIn.EnsureSuccessStatusCode();
            return await TimeAsync(count, async () =>
            {
                var html = await browser.GetStringAsync("/");
                if (!html.Contains("Overview", StringComparison.Ordinal))
                    throw new InvalidOperationException("The Overview did not render.");
            });
        }

        public static async Task<(double P50, double P95)> ListAsync(PortalProcess portal, string path, int count)
        {
            using var api = portal.ApiClient();
            api.Timeout = TimeSpan.FromMinutes(5);
            return await TimeAsync(count, async () => (await api.GetAsync(path)).EnsureSuccessStatusCode());
        }

        /// <summary>
        /// Lists <paramref name="rows"/> history rows as a client exporting them would: pages of <paramref name="pageSize"/>,
        /// each next one from the Link header (keyset cursor), the whole walk timed.
        /// </summary>
        public static async Task<(double P50, double P95)> PageThroughAsync(PortalProcess portal, int rows, int pageSize, int count)
        {
            using var api = portal.ApiClient();
            api.Timeout = TimeSpan.FromMinutes(5);
            return await TimeAsync(count, async () =>
            {
                var read = 0;
                var next = $"api/v1/migrations?limit={pageSize}";
                while (read < rows)
                {
                    using var response = (await api.GetAsync(next)).EnsureSuccessStatusCode();
                    using var page = await System.Text.Json.JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                    read += page.RootElement.GetArrayLength();
                    if (read >= rows)
                        break;
                    next = response.Headers.TryGetValues("Link", out var links) && NextLink().Match(string.Join(',', links)) is { Success: true } m
                        ? m.Groups[1].Value.TrimStart('/')
                        : throw new InvalidOperationException($"No next page after {read} of {rows} rows.");
                }
            });
        }

        private static async Task<(double P50, double P95)> TimeAsync(int count, Func<Task> request)
        {
            for (var i = 0; i < 3; i++)
                await request();
            var times = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                await request();
                times.Add(clock.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            return (times[times.Count / 2], times[(int)Math.Ceiling(times.Count * 0.95) - 1]);
        }

        [GeneratedRegex("<([^>]+)>;\\s*rel=\"?next")]
        private static partial Regex NextLink();

        [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
        private static partial Regex TokenInput();
    }
}
