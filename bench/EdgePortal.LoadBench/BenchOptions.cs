using System.Globalization;
using EdgePortal.Storage;

namespace EdgePortal.LoadBench;

/// <summary>The knobs of one run; the defaults are issue 4's target. <c>--name value</c> on the command line.</summary>
internal sealed record BenchOptions
{
    public int Migrations { get; init; } = 1_000;
    /// <summary>Services in the synthetic edge; 0: as many as <see cref="Migrations"/> (issue 4's run). More: the inventory grows, the POSTs do not.</summary>
    public int Services { get; init; }
    /// <summary>
    /// Issue 21 item 6: measure only how fast <c>POST /api/v1/migrations</c> is accepted (rate, p50/p99), print one line, and stop without
    /// waiting for the migrations (run it with a slow simulator so that none finishes and acceptance dominates).
    /// </summary>
    public bool AcceptOnly { get; init; }
    public int Clients { get; init; } = 100;
    public int Tenants { get; init; } = 10;
    public int Clusters { get; init; } = 3;
    public int NodesPerCluster { get; init; } = 20;
    /// <summary>Simulated time runs this many times faster than real time (below 1: slower), so migrations overlap.</summary>
    public double SpeedFactor { get; init; } = 0.03;
    /// <summary>POSTs in flight at once while starting the migrations.</summary>
    public int PostConcurrency { get; init; } = 4;
    /// <summary>The run from the portal's start (ready, connect, start, wait for every migration) stops after this.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromMinutes(3);
    public double P99TargetMs { get; init; } = 100;
    /// <summary>Decimal megabytes (10⁶ bytes), as the rest of EdgePortal counts.</summary>
    public double MemoryTargetMb { get; init; } = 500;
    public string? PortalDll { get; init; }
    public int Seed { get; init; } = 4;
    /// <summary>
    /// Portal processes behind one address (a reverse proxy with cookie affinity, as an ingress with sticky sessions);
    /// more than one runs them as the replicated deployment does: PostgreSQL and Redis, leases.
    /// </summary>
    public int Replicas { get; init; } = 1;
    /// <summary>Where the portal keeps its data; replicas need PostgreSQL.</summary>
    public StorageProvider Storage { get; init; } = StorageProvider.LiteDb;
    /// <summary>Keep the run folder (database, portal log) instead of deleting the database.</summary>
    public bool Keep { get; init; }
    /// <summary>Spread the POSTs evenly over this many seconds (0: as fast as <see cref="PostConcurrency"/> allows).</summary>
    public double RampSeconds { get; init; }
    /// <summary>Environment variables for the portal process, <c>--env NAME=VALUE</c> (e.g. <c>DOTNET_gcServer=0</c>), for experiments.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>Extra portal settings, <c>--set Key=Value</c> (e.g. <c>--set Logging:LogLevel:Default=Warning</c>), for experiments.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var extra = new Dictionary<string, string>();
        var environment = new Dictionary<string, string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--keep")
            {
                options = options with { Keep = true };
                continue;
            }
            if (name == "--accept-only")
            {
                options = options with { AcceptOnly = true };
                continue;
            }
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{name} needs a value.");
            var value = args[++i];
            options = name switch
            {
                "--migrations" => options with { Migrations = Int(name, value, 1) },
                "--services" => options with { Services = Int(name, value, 1) },
                "--clients" => options with { Clients = Int(name, value, 1) },
                "--tenants" => options with { Tenants = Int(name, value, 1) },
                "--clusters" => options with { Clusters = Int(name, value, 1) },
                "--nodes-per-cluster" => options with { NodesPerCluster = Int(name, value, 3) },
                "--speed-factor" => options with { SpeedFactor = Double(name, value) },
                "--post-concurrency" => options with { PostConcurrency = Int(name, value, 1) },
                "--time-limit-seconds" => options with { TimeLimit = TimeSpan.FromSeconds(Int(name, value, 10)) },
                "--p99-target-ms" => options with { P99TargetMs = Double(name, value) },
                "--memory-target-mb" => options with { MemoryTargetMb = Double(name, value) },
                "--portal" => options with { PortalDll = Path.GetFullPath(value) },
                "--seed" => options with { Seed = Int(name, value, 0) },
                "--ramp-seconds" => options with { RampSeconds = Double(name, value) },
                "--replicas" => options with { Replicas = Int(name, value, 1), Storage = Int(name, value, 1) > 1 ? StorageProvider.PostgreSql : options.Storage },
                "--storage" => options with { Storage = Enum.TryParse<StorageProvider>(value, ignoreCase: true, out var provider) && Enum.IsDefined(provider) ? provider
                    : throw new ArgumentException($"--storage must be LiteDb or PostgreSql (was {value}).") },
                "--env" when value.Split('=', 2) is [var variable, var setting] => Set(options, environment, variable, setting, isEnvironment: true),
                "--set" when value.Split('=', 2) is [var key, var setting] => Set(options, extra, key, setting),
                _ => throw new ArgumentException($"Unknown option {name}; see bench/hub-load.sh for the list."),
            };
        }
        if (options.Services > 0 && options.Services < options.Migrations)
            throw new ArgumentException($"--services ({options.Services}) must be at least --migrations ({options.Migrations}): one migration per service.");
        if (options.Clients < options.Tenants)
            throw new ArgumentException($"--clients ({options.Clients}) must be at least --tenants ({options.Tenants}): every tenant needs a listener.");
        if (options.Replicas > 1 && options.Storage != StorageProvider.PostgreSql)
            throw new ArgumentException($"--replicas {options.Replicas} needs --storage PostgreSql: replicas share one database.");
        return options;
    }

    private static BenchOptions Set(BenchOptions options, Dictionary<string, string> map, string key, string value, bool isEnvironment = false)
    {
        map[key] = value;
        return isEnvironment ? options with { Environment = map } : options with { Extra = map };
    }

    private static int Int(string name, string value, int min)
        => int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= min ? n : throw new ArgumentException($"{name} must be an integer ≥ {min} (was {value}).");

    private static double Double(string name, string value)
        => double.TryParse(value, CultureInfo.InvariantCulture, out var d) && d > 0 && double.IsFinite(d) ? d : throw new ArgumentException($"{name} must be a number > 0 (was {value}).");
}
