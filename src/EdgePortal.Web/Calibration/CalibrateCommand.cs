using System.Globalization;
using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Security;
using EdgePortal.Runtime.Agent;
using EdgePortal.Storage;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Calibration;

/// <summary>
/// <c>dotnet run --project src/EdgePortal.Web -- calibrate --cluster lab --node h1 [--to h2] --workload "…/stateservice {port} {bytes} {rate}"
/// [--netns /run/netns/eplab-h1] [--host-class X] [--sizes 1,10,50,100] [--dirty-rates 0,1000,10000] [--repeat 3] [--bandwidth 1e9]
/// [--port 7100] [--no-warm-up] [--no-live-dump] [--no-post-copy]</c> (sizes in MB; <c>--bandwidth</c> in bit/s, the link's, which the agents stream at, default 1 Gbit/s): runs the state-size × dirty-rate grid on a host of an Agent cluster through its agent
/// (<see cref="AgentCalibrationRunner"/>), fits the [PAM] parameters and T_add (<see cref="PamCalibrator"/>), stores them for the
/// host class in the portal's database and prints predicted against measured. Each point also checkpoints the service live
/// (MessageReplay's freeze) and, with a destination whose agents both run lazy pages, migrates a fresh copy post-copy, so that
/// the replay and post-copy stages are fitted as Cold's are. Everything else on the command line is the
/// portal's configuration (<c>--EdgePortal:Storage:Path=…</c>), read as the portal reads it, so the cluster's agents and token
/// are those of <c>EdgePortal:AgentEdge:Clusters:&lt;cluster&gt;</c>.
/// </summary>
/// <remarks>
/// The agent registers processes by PID and has no call to start one, so the state service is started by this command on this
/// machine (in the host's network namespace with <c>--netns</c>): run it on the host itself, or in the lab on the machine that
/// holds the lab; a calibration measured elsewhere can be uploaded with <c>POST /api/v1/calibrations</c>.
/// </remarks>
public static class CalibrateCommand
{
    public const string Verb = "calibrate";

    public const string Usage = """
        usage: calibrate --cluster <agent cluster> --node <node> --workload "<command with {port} {bytes} {rate}>"
                         [--to <node>] [--netns <path>] [--host-class <class>] [--sizes <MB,...>] [--dirty-rates <pages/s,...>]
                         [--repeat <n>] [--bandwidth <bit/s>] [--port <port>] [--no-warm-up] [--no-live-dump] [--no-post-copy]
                         [--<portal configuration key>=<value> ...]
        """;

    /// <summary>What <c>--bandwidth</c> defaults to: 1 Gbit/s, the lab's links (and the paper's).</summary>
    public const double DefaultBandwidthBitsPerSecond = 1e9;

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Verb;

    /// <summary>Runs the verb; 0 when a calibration was stored, 2 on a usage or fit error, 1 when the run failed.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        CalibrateArguments parsed;
        try
        {
            parsed = CalibrateArguments.Parse(args);
        }
        catch (FormatException e)
        {
            await output.WriteLineAsync($"calibrate: {e.Message}\n{Usage}");
            return 2;
        }

        var builder = WebApplication.CreateBuilder([.. parsed.Configuration]);
        builder.Services.AddEdgePortalStorage(builder.Configuration);
        using var app = builder.Build();
        var agents = builder.Configuration.GetSection(AgentEdgeOptions.Section).Get<AgentEdgeOptions>() ?? new AgentEdgeOptions();
        var validation = new AgentEdgeOptionsValidator().Validate(null, agents);
        if (validation.Failed)
        {
            await output.WriteLineAsync($"calibrate: {validation.FailureMessage}");
            return 2;
        }
        if (!agents.Clusters.TryGetValue(parsed.Cluster, out var cluster))
        {
            await output.WriteLineAsync($"calibrate: no Agent cluster '{parsed.Cluster}' is configured under {AgentEdgeOptions.Section}:Clusters (configured: {string.Join(", ", agents.Clusters.Keys.DefaultIfEmpty("none"))}).");
            return 2;
        }
        foreach (var node in new[] { parsed.Node, parsed.Destination }.OfType<string>())
            if (!cluster.Nodes.ContainsKey(node))
            {
                await output.WriteLineAsync($"calibrate: {AgentEdgeOptions.Section}:Clusters:{parsed.Cluster}:Nodes has no agent for node '{node}' (it has {string.Join(", ", cluster.Nodes.Keys)}).");
                return 2;
            }

        var inventory = app.Services.GetRequiredService<IInventoryRepository>();
        var hostClass = parsed.HostClass ?? HostClassOf(inventory, parsed.Cluster, parsed.Node);
        if (hostClass is null)
        {
            await output.WriteLineAsync($"calibrate: node '{parsed.Node}' of cluster '{parsed.Cluster}' is not in the portal's inventory, so its host class is unknown: give --host-class.");
            return 2;
        }

        var workload = new CalibrationWorkloadCommand(parsed.Workload, parsed.NetworkNamespace, parsed.Port, TimeSpan.FromSeconds(60));
        var runner = new AgentCalibrationRunner(cluster, parsed.Node, parsed.Destination, workload.StartAsync)
        {
            // The runtime streams at the plan's reservation; a calibration streams at the link's bandwidth, so that the model's V/L holds.
            BandwidthBitsPerSecond = parsed.BandwidthBitsPerSecond ?? DefaultBandwidthBitsPerSecond,
            LinkBandwidthBitsPerSecond = parsed.BandwidthBitsPerSecond ?? DefaultBandwidthBitsPerSecond,
            WarmUp = parsed.WarmUp,
            LiveDump = parsed.LiveDump,
            PostCopy = parsed.PostCopy,
        };
        var grid = new CalibrationGrid(parsed.SizesBytes, parsed.DirtyRates, parsed.Repeats);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Calibrating host class '{hostClass}' on {parsed.Cluster}/{runner.Host}: {grid.Count} Cold migrations ({parsed.SizesBytes.Count} sizes × {parsed.DirtyRates.Count} dirty rates × {parsed.Repeats}){(parsed.WarmUp ? " after one warm-up" : "")}"));
        IReadOnlyList<CalibrationSample> samples;
        try
        {
            samples = await runner.RunAsync(grid, new Progress(output), ct);
            if (runner.PostCopyNote is { } note)
                await output.WriteLineAsync("  " + note);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await output.WriteLineAsync($"calibrate: the run failed: {e.Message}");
            return 1;
        }

        var clock = app.Services.GetService<TimeProvider>() ?? TimeProvider.System;
        HostCalibration calibration;
        try
        {
            calibration = HostCalibration.Create(hostClass, $"{parsed.Cluster}/{runner.Host}", samples, clock.GetUtcNow(), $"{Environment.UserName} (calibrate)");
        }
        catch (CalibrationInputException e)
        {
            await output.WriteLineAsync($"calibrate: {e.Field}: {e.Message}");
            return 2;
        }
        app.Services.GetRequiredService<ICalibrationRepository>().Save(calibration);
        app.Services.GetService<IAuditLog>()?.Append(CalibrationAudit.Entry(calibration, calibration.RecordedBy, calibration.At));
        await output.WriteLineAsync();
        await output.WriteAsync(CalibrationReport.Text(calibration));
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Stored as calibration {calibration.Id} in {app.Services.GetRequiredService<EdgeDatabase>().Path}; plans from host class '{hostClass}' use it from now on.");
        return 0;
    }

    private static string? HostClassOf(IInventoryRepository inventory, string clusterName, string nodeName)
    {
        var cluster = inventory.Clusters().FirstOrDefault(c => string.Equals(c.Name, clusterName, StringComparison.OrdinalIgnoreCase));
        return cluster is null ? null
            : inventory.Nodes().FirstOrDefault(n => n.ClusterId == cluster.Id && string.Equals(n.Name, nodeName, StringComparison.OrdinalIgnoreCase))?.HostClass;
    }

    /// <summary>Prints each sample as it is measured (synchronously: <see cref="Progress{T}"/> would post to the thread pool and reorder lines).</summary>
    private sealed class Progress(TextWriter output) : IProgress<CalibrationProgress>
    {
        public void Report(CalibrationProgress value) => output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  [{value.Index}/{value.Total}] {value.Sample.StateSizeBytes / 1_048_576.0:0.#} MB, {value.Sample.DirtyPagesPerSecond:0} pages/s, repeat {value.Repeat}: {value.Detail}"));
    }
}

/// <summary>The verb's arguments; what it does not know is handed to the portal's configuration.</summary>
public sealed record CalibrateArguments
{
    public required string Cluster { get; init; }
    public required string Node { get; init; }
    public string? Destination { get; init; }
    public required string Workload { get; init; }
    public string? NetworkNamespace { get; init; }
    public string? HostClass { get; init; }
    public IReadOnlyList<long> SizesBytes { get; init; } = [1L << 20, 10L << 20, 50L << 20, 100L << 20];
    public IReadOnlyList<double> DirtyRates { get; init; } = [0, 1_000, 10_000];
    public int Repeats { get; init; } = 3;
    public double? BandwidthBitsPerSecond { get; init; }
    public int Port { get; init; } = 7100;
    public bool WarmUp { get; init; } = true;
    /// <summary>Measure a live dump's freeze at every point (MessageReplay's T_f); --no-live-dump leaves it out.</summary>
    public bool LiveDump { get; init; } = true;
    /// <summary>Measure a post-copy at every point where both hosts run lazy pages (T_ld, T_lr, W_c); --no-post-copy leaves it out.</summary>
    public bool PostCopy { get; init; } = true;
    public IReadOnlyList<string> Configuration { get; init; } = [];

    /// <summary>Parses the arguments after the verb; a <see cref="FormatException"/> names what is wrong.</summary>
    public static CalibrateArguments Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var configuration = new List<string>();
        var warmUp = true;
        var liveDump = true;
        var postCopy = true;
        string[] known = ["--cluster", "--node", "--to", "--workload", "--netns", "--host-class", "--sizes", "--dirty-rates", "--repeat", "--bandwidth", "--port"];
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == Verb())
                continue;
            if (a == "--no-warm-up")
                warmUp = false;
            else if (a == "--no-live-dump")
                liveDump = false;
            else if (a == "--no-post-copy")
                postCopy = false;
            else if (known.Contains(a))
            {
                if (i + 1 >= args.Count || string.IsNullOrWhiteSpace(args[i + 1]))
                    throw new FormatException($"{a} needs a value.");
                values[a] = args[++i];
            }
            else if (a.StartsWith("--", StringComparison.Ordinal) && a.Contains(':', StringComparison.Ordinal))
            {
                configuration.Add(a);
                // "--Key value" as well as "--Key=value", as the portal's own command line takes them.
                if (!a.Contains('=', StringComparison.Ordinal) && i + 1 < args.Count)
                    configuration.Add(args[++i]);
            }
            else
                throw new FormatException($"unknown argument '{a}'.");
        }
        string Required(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"{key} is required.");
        var parsed = new CalibrateArguments
        {
            Cluster = Required("--cluster"),
            Node = Required("--node"),
            Workload = Required("--workload"),
            Destination = values.GetValueOrDefault("--to"),
            NetworkNamespace = values.GetValueOrDefault("--netns"),
            HostClass = values.GetValueOrDefault("--host-class"),
            WarmUp = warmUp,
            LiveDump = liveDump,
            PostCopy = postCopy,
            Configuration = configuration,
        };
        if (parsed.Destination == parsed.Node)
            throw new FormatException("--to must name another node (leave it out to restore on the same host).");
        if (values.TryGetValue("--sizes", out var sizes))
            parsed = parsed with { SizesBytes = List(sizes, "--sizes", mb => mb > 0 && mb <= 64 * 1024).Select(mb => (long)Math.Round(mb * 1_048_576)).ToList() };
        if (values.TryGetValue("--dirty-rates", out var rates))
            parsed = parsed with { DirtyRates = List(rates, "--dirty-rates", r => r >= 0) };
        if (values.TryGetValue("--repeat", out var repeat))
            parsed = parsed with { Repeats = int.TryParse(repeat, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 100 ? n : throw new FormatException($"--repeat must be a whole number in 1..100 (was '{repeat}').") };
        if (values.TryGetValue("--bandwidth", out var bandwidth))
            parsed = parsed with { BandwidthBitsPerSecond = double.TryParse(bandwidth, CultureInfo.InvariantCulture, out var b) && double.IsFinite(b) && b > 0 ? b : throw new FormatException($"--bandwidth must be a number of bit/s > 0 (was '{bandwidth}').") };
        if (values.TryGetValue("--port", out var port))
            parsed = parsed with { Port = int.TryParse(port, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536 ? p : throw new FormatException($"--port must be a TCP port (was '{port}').") };
        if (parsed.SizesBytes.Distinct().Count() < 2)
            throw new FormatException("--sizes needs at least two different state sizes: one cannot tell the per-byte costs from the fixed ones.");
        if (parsed.SizesBytes.Count * parsed.DirtyRates.Count * parsed.Repeats < PamCalibrator.MinimumSamples)
            throw new FormatException($"the grid has fewer than {PamCalibrator.MinimumSamples} points: add sizes, dirty rates or repeats.");
        return parsed;
    }

    private static string Verb() => CalibrateCommand.Verb;

    private static List<double> List(string text, string option, Func<double, bool> valid)
    {
        var list = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(double.TryParse(part, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && valid(v)
                ? v
                : throw new FormatException($"{option}: '{part}' is not a valid value."));
        return list.Count > 0 ? list : throw new FormatException($"{option} needs at least one value.");
    }
}

/// <summary>The audit record of a stored calibration.</summary>
public static class CalibrationAudit
{
    public static AuditEntry Entry(HostCalibration calibration, string actor, DateTimeOffset at) => new()
    {
        Id = Guid.CreateVersion7(),
        At = at,
        Actor = actor,
        Action = AuditActions.CalibrationSave,
        Target = $"host class {calibration.HostClass}",
        Detail = string.Create(CultureInfo.InvariantCulture,
            $"calibration {calibration.Id} from {calibration.Host}: {calibration.Fit.Points.Count} samples, R² {calibration.Fit.DowntimeRSquared:0.000}, T_add {calibration.Fit.Parameters.RuntimeOverheadMs:0.0} ms"),
    };
}
