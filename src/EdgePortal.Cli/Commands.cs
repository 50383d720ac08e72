using System.CommandLine;
using System.Globalization;
using EdgePortal.Client;

namespace EdgePortal.Cli;

/// <summary>The six commands; each resolves names to ids, calls the typed client once or twice, and renders the answer.</summary>
internal sealed class Commands(CliConsole console, Func<string, string?> environment)
{
    private readonly Option<string?> _url = new("--url")
    {
        Description = $"The portal's address (default: ${EdgePortalConnection.UrlVariable})",
        Recursive = true,
    };

    private readonly Option<string?> _key = new("--key")
    {
        Description = $"An API key (default: ${EdgePortalConnection.KeyVariable}); prefer the variable, a flag shows in the process list",
        Recursive = true,
    };

    private readonly Option<string> _output = new Option<string>("--output", "-o")
    {
        Description = "text (a table for people) or json (for scripts)",
        DefaultValueFactory = _ => "text",
        Recursive = true,
    }.AcceptOnlyFromAmong("text", "json");

    public void AddGlobalOptions(RootCommand root)
    {
        root.Options.Add(_url);
        root.Options.Add(_key);
        root.Options.Add(_output);
    }

    public Command Plan()
    {
        var service = ServiceArgument();
        var targets = new TargetOptions();
        var command = new Command("plan", "Plan a migration of a service without starting it: destination, strategy, predicted KPIs and why.") { service };
        targets.AddTo(command);
        command.SetAction((parsed, ct) => Run(parsed, async (session, ct2) =>
        {
            var id = await session.ServiceIdAsync(parsed.GetValue(service)!, ct2);
            var body = targets.PlanBody(parsed, await session.NodeIdAsync(targets.Destination(parsed), ct2));
            var plan = await session.Client.PlanServiceAsync(id, body, ct2);
            session.Render.Plan(plan);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public Command Migrate()
    {
        var service = ServiceArgument();
        var targets = new TargetOptions();
        var accept = new Option<bool>("--accept-target-miss") { Description = "Start even when no plan meets the targets (the best one runs)" };
        var wait = new WaitOptions("Follow the migration until it ends: exit 0 when it completes, 4 when it rolls back, is cancelled or fails");
        var command = new Command("migrate", "Plan and start a migration of a service (by name or id).") { service, accept };
        targets.AddTo(command);
        wait.AddTo(command);
        command.SetAction((parsed, ct) => Run(parsed, async (session, ct2) =>
        {
            var body = targets.StartBody(parsed, await session.ServiceIdAsync(parsed.GetValue(service)!, ct2),
                await session.NodeIdAsync(targets.Destination(parsed), ct2), parsed.GetValue(accept));
            var migration = await session.Client.StartMigrationAsync(body, ct2);
            return await ShowOrWaitAsync(session, parsed, wait, migration, cancelling: false, ct2);
        }, ct));
        return command;
    }

    public Command List()
    {
        var state = new Option<string?>("--state") { Description = "Only migrations in this state (Queued, Running, RollingBack, Completed, RolledBack, Cancelled, Failed)" };
        var service = new Option<string?>("--service") { Description = "Only migrations of this service (name or id)" };
        var tenant = new Option<Guid?>("--tenant") { Description = "Only migrations of this tenant (id; provider keys)" };
        var cluster = new Option<Guid?>("--cluster") { Description = "Only migrations in this cluster (id)" };
        var limit = new Option<int?>("--limit") { Description = "At most this many, newest first (the portal's page size when left out)" };
        var command = new Command("list", "Migrations, newest first.") { state, service, tenant, cluster, limit };
        command.SetAction((parsed, ct) => Run(parsed, async (session, ct2) =>
        {
            Guid? serviceId = parsed.GetValue(service) is { } name ? await session.ServiceIdAsync(name, ct2) : null;
            var migrations = await session.Client.ListMigrationsAsync(parsed.GetValue(state), parsed.GetValue(cluster), parsed.GetValue(tenant),
                serviceId, parsed.GetValue(limit), before: null, ct2);
            session.Render.Migrations(migrations);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public Command Cancel()
    {
        var id = new Argument<Guid>("migration") { Description = "The migration's id" };
        var wait = new WaitOptions("Follow the rollback until it ends: exit 0 when the migration stopped, 4 when its rollback failed");
        var command = new Command("cancel", "Cancel a migration: a queued one at once, a running one by rolling it back.") { id };
        wait.AddTo(command);
        command.SetAction((parsed, ct) => Run(parsed, async (session, ct2) =>
        {
            var migration = await session.Client.CancelMigrationAsync(parsed.GetValue(id), ct2);
            return await ShowOrWaitAsync(session, parsed, wait, migration, cancelling: true, ct2);
        }, ct));
        return command;
    }

    public Command Schedules()
    {
        var command = new Command("schedules", "Scheduled migrations with their next fire times.");
        command.SetAction((parsed, ct) => Run(parsed, async (session, ct2) =>
        {
            session.Render.Schedules(await session.Client.ListSchedulesAsync(ct2));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    public Command WhatIf()
    {
        var stateSize = new Option<double>("--state-size") { Description = "State size in bytes", Required = true };
        var dirtyRate = new Option<double?>("--dirty-rate") { Description = "Dirty-page rate, normalised to the bandwidth (0 ≤ x < 1)" };
        var bandwidth = new Option<double>("--bandwidth") { Description = "Link bandwidth in bits per second", Required = true };
        var maxDowntime = new Option<double?>("--max-downtime") { Description = "Downtime target in ms" };
        var maxTime = new Option<double?>("--max-migration-time") { Description = "Total migration time target in ms" };
        var objective = new Option<string?>("--objective") { Description = "MinDowntime or MinResources", DefaultValueFactory = _ => "MinDowntime" };
        var overhead = new Option<double?>("--runtime-overhead") { Description = "The runtime's fixed cost per migration in ms" };
        var iterations = new Option<int?>("--iterations") { Description = "Pre-copy rounds (the designer picks them when left out)" };
        var arrival = new Option<double?>("--message-arrival-rate") { Description = "Messages per second arriving (MS2M)" };
        var processing = new Option<double?>("--message-processing-rate") { Description = "Messages per second the service processes (MS2M)" };
        var hostClass = new Option<string?>("--host-class") { Description = "Use this host class's calibration" };
        var command = new Command("whatif", "Ask the designer what it would do for any workload profile and targets (nothing is stored).")
        {
            stateSize, dirtyRate, bandwidth, maxDowntime, maxTime, objective, overhead, iterations, arrival, processing, hostClass,
        };
        command.SetAction((parsed, ct) => Run(parsed, async (session, ct2) =>
        {
            var plan = await session.Client.PlanWhatIfAsync(new WhatIfBody
            {
                StateSizeBytes = parsed.GetValue(stateSize),
                DirtyRateNormalized = parsed.GetValue(dirtyRate),
                BandwidthBitsPerSecond = parsed.GetValue(bandwidth),
                MaxDowntimeMs = parsed.GetValue(maxDowntime),
                MaxMigrationTimeMs = parsed.GetValue(maxTime),
                Objective = parsed.GetValue(objective),
                RuntimeOverheadMs = parsed.GetValue(overhead),
                Iterations = parsed.GetValue(iterations),
                MessageArrivalRate = parsed.GetValue(arrival),
                MessageProcessingRate = parsed.GetValue(processing),
                HostClass = parsed.GetValue(hostClass),
            }, ct2);
            session.Render.WhatIf(plan);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Argument<string> ServiceArgument() => new("service") { Description = "The service, by name or id" };

    /// <summary>The migration as the portal answered it, or with <c>--wait</c> as it ended.</summary>
    private async Task<int> ShowOrWaitAsync(Session session, ParseResult parsed, WaitOptions wait, MigrationViewModel migration, bool cancelling,
        CancellationToken cancellationToken)
    {
        if (!parsed.GetValue(wait.Wait))
        {
            session.Render.Migration(migration);
            return ExitCodes.Ok;
        }
        return await WaitAsync(session, migration, parsed.GetValue(wait.Poll), parsed.GetValue(wait.Timeout), cancelling, cancellationToken);
    }

    private async Task<int> WaitAsync(Session session, MigrationViewModel migration, bool poll, TimeSpan? timeout, bool cancelling,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
            deadline.CancelAfter(t);
        MigrationViewModel final;
        try
        {
            await using var waiter = new MigrationWaiter(session.Connection, session.Client, console, session.Render.Progress());
            final = await waiter.WaitAsync(migration, poll, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            var interrupted = cancellationToken.IsCancellationRequested;
            await console.Error.WriteLineAsync(interrupted
                ? $"edgeportal: stopped waiting; migration {migration.Id} goes on."
                : $"edgeportal: migration {migration.Id} had not ended after {timeout:g}; it goes on.");
            return interrupted ? ExitCodes.Interrupted : ExitCodes.WaitTimedOut;
        }
        session.Render.Migration(final);
        return final.State switch
        {
            MigrationState.Completed => ExitCodes.Ok,
            MigrationState.Cancelled or MigrationState.RolledBack when cancelling => ExitCodes.Ok,
            _ => ExitCodes.MigrationNotCompleted,
        };
    }

    /// <summary>Connects, runs <paramref name="action"/>, and turns what went wrong into a message and an exit code.</summary>
    private async Task<int> Run(ParseResult parsed, Func<Session, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        var connection = EdgePortalConnection.From(parsed.GetValue(_url) ?? environment(EdgePortalConnection.UrlVariable),
            parsed.GetValue(_key) ?? environment(EdgePortalConnection.KeyVariable), out var problem);
        if (connection is null)
        {
            await console.Error.WriteLineAsync($"edgeportal: {problem} Give --url and --key, or set {EdgePortalConnection.UrlVariable} and {EdgePortalConnection.KeyVariable}.");
            return ExitCodes.Usage;
        }
        var json = parsed.GetValue(_output) == "json";
        using var http = connection.CreateHttpClient(timeout: TimeSpan.FromSeconds(100));
        var session = new Session(connection, EdgePortalConnection.Client(http), new Renderer(console, json));
        try
        {
            return await action(session, cancellationToken);
        }
        catch (Exception e) when (Failures.Classify(e, cancellationToken) is { } failure)
        {
            await console.Error.WriteLineAsync($"edgeportal: {failure.Message}");
            if (json && failure.Problem is { } body)
                await console.Out.WriteLineAsync(body);
            return failure.ExitCode;
        }
    }

    /// <summary>What one command works with: the connection, the typed client, and how to render.</summary>
    private sealed record Session(EdgePortalConnection Connection, EdgePortalClient Client, Renderer Render)
    {
        /// <summary>A service's id from its id or its name (the names a key can see; a name two tenants use must be given by id).</summary>
        public async Task<Guid> ServiceIdAsync(string nameOrId, CancellationToken cancellationToken)
        {
            if (Guid.TryParse(nameOrId, out var id))
                return id;
            var matches = (await Client.ListServicesAsync(cancellationToken)).Where(s => s.Name == nameOrId).ToList();
            return matches.Count switch
            {
                1 => matches[0].Id,
                0 => throw new NotFoundException($"No service is named '{nameOrId}' (service: a name or an id that this key can see)."),
                _ => throw new UsageException($"Tenants {string.Join(", ", matches.Select(m => m.TenantName))} each have a service named '{nameOrId}': give its id."),
            };
        }

        /// <summary>A node's id from its id or its name, or null when none was given.</summary>
        public async Task<Guid?> NodeIdAsync(string? nameOrId, CancellationToken cancellationToken)
        {
            if (nameOrId is null)
                return null;
            if (Guid.TryParse(nameOrId, out var id))
                return id;
            var matches = (await Client.ListClustersAsync(cancellationToken)).SelectMany(c => c.Nodes).Where(n => n.Name == nameOrId).ToList();
            return matches.Count switch
            {
                1 => matches[0].Id,
                0 => throw new NotFoundException($"No node is named '{nameOrId}' (--destination: a node name or id)."),
                _ => throw new UsageException($"{matches.Count} nodes are named '{nameOrId}' (--destination): give its id."),
            };
        }
    }

    /// <summary><c>--wait</c> and how to wait, shared by <c>migrate</c> and <c>cancel</c>.</summary>
    private sealed class WaitOptions(string description)
    {
        public Option<bool> Wait { get; } = new("--wait", "-w") { Description = description };

        public Option<bool> Poll { get; } = new("--poll")
        {
            Description = "With --wait: poll the REST API instead of following the live hub (/hubs/migrations)",
        };

        public Option<TimeSpan?> Timeout { get; } = new("--timeout")
        {
            Description = "With --wait: stop waiting after this long (hh:mm:ss), exit 6; the migration goes on",
        };

        public void AddTo(Command command)
        {
            command.Options.Add(Wait);
            command.Options.Add(Poll);
            command.Options.Add(Timeout);
        }
    }

    /// <summary>The options that shape a plan, shared by <c>plan</c> and <c>migrate</c> as the API shares them.</summary>
    private sealed class TargetOptions
    {
        private readonly Option<string?> _destination = new("--destination", "-d") { Description = "The destination node, by name or id (the planner picks one when left out)" };
        private readonly Option<double?> _maxDowntime = new("--max-downtime") { Description = "Downtime target in ms (the service's own when left out)" };
        private readonly Option<double?> _maxTime = new("--max-migration-time") { Description = "Total migration time target in ms" };
        private readonly Option<double?> _maxLatency = new("--max-user-latency") { Description = "User latency target in ms" };
        private readonly Option<string?> _objective = new("--objective") { Description = "MinDowntime or MinResources" };
        private readonly Option<string?> _strategy = new("--strategy") { Description = "Force a strategy (Cold, PreCopy, IterativePreCopy, MessageReplay, ReplayWithCutoff)" };
        private readonly Option<int?> _iterations = new("--iterations") { Description = "Pre-copy rounds (with --strategy IterativePreCopy)" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _destination, _maxDowntime, _maxTime, _maxLatency, _objective, _strategy, _iterations })
                command.Options.Add(option);
        }

        public string? Destination(ParseResult parsed) => parsed.GetValue(_destination);

        public PlanServiceBody PlanBody(ParseResult parsed, Guid? destination) => new()
        {
            DestinationNodeId = destination,
            MaxDowntimeMs = parsed.GetValue(_maxDowntime),
            MaxMigrationTimeMs = parsed.GetValue(_maxTime),
            MaxUserLatencyMs = parsed.GetValue(_maxLatency),
            Objective = parsed.GetValue(_objective),
            Strategy = parsed.GetValue(_strategy),
            Iterations = parsed.GetValue(_iterations),
        };

        public StartMigrationBody StartBody(ParseResult parsed, Guid service, Guid? destination, bool acceptTargetMiss) => new()
        {
            ServiceId = service,
            DestinationNodeId = destination,
            MaxDowntimeMs = parsed.GetValue(_maxDowntime),
            MaxMigrationTimeMs = parsed.GetValue(_maxTime),
            MaxUserLatencyMs = parsed.GetValue(_maxLatency),
            Objective = parsed.GetValue(_objective),
            Strategy = parsed.GetValue(_strategy),
            Iterations = parsed.GetValue(_iterations),
            AcceptTargetMiss = acceptTargetMiss,
        };
    }

    internal static string Ms(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) + " ms" : "-";
}
