using EdgePortal.Core.Batches;
using EdgePortal.Core.Domain;
using EdgePortal.Web.Components.Migrations;

namespace EdgePortal.Web.Components.Batches;

/// <summary>
/// A batch's plan laid out for its charts: times in ms from the batch's acceptance (<see cref="BatchReport.AcceptedAt"/>), one
/// Gantt row per migration (predicted window, actual window over it, the running one growing to now), one load chart per link.
/// </summary>
public sealed record BatchChartsViewModel
{
    public required double AxisMs { get; init; }
    public required IReadOnlyList<double> Ticks { get; init; }
    public required IReadOnlyList<BatchRowViewModel> Rows { get; init; }
    public required IReadOnlyList<LinkLoadViewModel> Links { get; init; }

    public static BatchChartsViewModel Build(BatchReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        var origin = report.AcceptedAt;
        double Ms(DateTimeOffset at) => Math.Max(0, (at - origin).TotalMilliseconds);
        var rows = report.Migrations.Select((m, i) => new BatchRowViewModel
        {
            Index = i,
            MigrationId = m.MigrationId,
            Label = m.ServiceName,
            Route = $"{m.SourceName} → {m.DestinationName}",
            State = m.State,
            PredictedFromMs = Ms(m.PredictedStart),
            PredictedToMs = Math.Max(Ms(m.PredictedEnd), Ms(m.PredictedStart)),
            ActualFromMs = m.ActualStart is { } s ? Ms(s) : null,
            ActualToMs = m.ActualStart is null ? null : Ms(m.ActualEnd ?? now),
            Running = m.ActualStart is not null && m.ActualEnd is null,
            Misses = [.. m.Misses.Select(x => x.Target)],
        }).ToList();
        var axis = Math.Max(1_000, rows.Select(r => Math.Max(r.PredictedToMs, r.ActualToMs ?? 0)).DefaultIfEmpty(0).Max());
        var links = report.Links.Select(l => new LinkLoadViewModel
        {
            Name = l.Name,
            CapacityBitsPerSecond = l.CapacityBitsPerSecond,
            PeakBitsPerSecond = l.PeakBitsPerSecond,
            Overbooked = l.Overbooked,
            Steps = [.. l.Load.Select((p, i) => new LoadStepViewModel(Ms(p.At), i + 1 < l.Load.Count ? Ms(l.Load[i + 1].At) : axis, p.ReservedBitsPerSecond))],
        }).ToList();
        return new BatchChartsViewModel { AxisMs = axis, Ticks = MigrationTimelineViewModel.TicksFor(axis), Rows = rows, Links = links };
    }
}

/// <summary>One migration's row of the batch's Gantt.</summary>
public sealed record BatchRowViewModel
{
    public required int Index { get; init; }
    public required MigrationId MigrationId { get; init; }
    public required string Label { get; init; }
    public required string Route { get; init; }
    public required MigrationState State { get; init; }
    public required double PredictedFromMs { get; init; }
    public required double PredictedToMs { get; init; }
    /// <summary>Null until it starts.</summary>
    public double? ActualFromMs { get; init; }
    /// <summary>Its end, or now while it runs.</summary>
    public double? ActualToMs { get; init; }
    public required bool Running { get; init; }
    public required IReadOnlyList<BatchTarget> Misses { get; init; }
}

/// <summary>From <see cref="FromMs"/> to <see cref="ToMs"/> the batch's plans reserve <see cref="BitsPerSecond"/> on the link.</summary>
public sealed record LoadStepViewModel(double FromMs, double ToMs, double BitsPerSecond);

/// <summary>One link's load over the batch's time axis, against its capacity.</summary>
public sealed record LinkLoadViewModel
{
    public required string Name { get; init; }
    public required double CapacityBitsPerSecond { get; init; }
    public required double PeakBitsPerSecond { get; init; }
    public required bool Overbooked { get; init; }
    public required IReadOnlyList<LoadStepViewModel> Steps { get; init; }
}

/// <summary>The words of the batch page.</summary>
public static class BatchText
{
    public static string Target(BatchTarget target) => target switch
    {
        BatchTarget.Downtime => "downtime",
        BatchTarget.MigrationTime => "migration time",
        _ => target.ToString(),
    };

    public static string Reason(MissReason reason) => reason switch
    {
        MissReason.PlannedToMiss => "no plan could meet it",
        MissReason.WaitedForBandwidth => "waited for bandwidth",
        MissReason.QueuedForSlot => "queued for a slot",
        MissReason.ReservedLess => "reserved less",
        MissReason.OtherDestination => "other destination",
        MissReason.StartedLate => "started late",
        MissReason.RanLonger => "ran longer than predicted",
        MissReason.DidNotComplete => "did not complete",
        _ => reason.ToString(),
    };

    public static string Capacity(CapacityChoice choice) => choice switch
    {
        CapacityChoice.None => "bandwidth free",
        CapacityChoice.Wait => "waited for bandwidth",
        CapacityChoice.ReserveLess => "reserved less",
        CapacityChoice.OtherDestination => "other destination",
        _ => choice.ToString(),
    };
}
