using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>
/// The engine's instruments on the <c>EdgePortal.Migrations</c> meter: outcomes by strategy, measured and predicted downtime
/// and total time, the model's relative error, steps in flight, the queue, live-event delivery latency and how many tenants
/// are active. Names follow the OpenTelemetry conventions: durations in seconds, so the Prometheus exporter appends
/// <c>_seconds</c> (and <c>_total</c> to counters); the dimensionless error has unit 1 and ends in <c>_ratio</c> itself,
/// a suffix the exporter adds to gauges only. No attribute names a tenant: <c>/metrics</c> is unauthenticated
/// (docs/security.md). Exporters are the host's business.
/// </summary>
public sealed class MigrationMetrics : IDisposable
{
    public const string MeterName = "EdgePortal.Migrations";

    /// <summary>How long a tenant counts as active after its last migration ended.</summary>
    public static readonly TimeSpan ActiveTenantWindow = TimeSpan.FromHours(1);

    private readonly Meter _meter;
    private readonly TimeProvider _clock;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _downtime;
    private readonly Histogram<double> _total;
    private readonly Histogram<double> _modelError;
    private readonly Histogram<double> _eventDelivery;
    private readonly UpDownCounter<long> _stepsInFlight;
    private readonly ConcurrentDictionary<TenantId, DateTimeOffset> _tenantActivity = new();
    private int _queued;
    private int _running;

    public MigrationMetrics(IMeterFactory meterFactory, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _meter = meterFactory.Create(MeterName);
        _finished = _meter.CreateCounter<long>("edgeportal.migrations.finished", "{migration}", "Migrations finished, by strategy and outcome");
        _downtime = _meter.CreateHistogram<double>("edgeportal.migration.downtime", "s", "Service downtime per completed migration (kind = measured | predicted)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30] });
        _total = _meter.CreateHistogram<double>("edgeportal.migration.duration", "s", "Total migration time per completed migration (kind = measured | predicted)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 3, 5, 10, 20, 60, 300] });
        _modelError = _meter.CreateHistogram<double>("edgeportal.migration.model_error_ratio", "1",
            "Relative error of the plan's prediction per completed migration, (measured - predicted) / predicted (kpi = downtime | duration)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [-1, -0.5, -0.25, -0.1, -0.05, 0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5] });
        _eventDelivery = _meter.CreateHistogram<double>("edgeportal.migration.event.delivery.duration", "s",
            "From a migration event to its push to live-hub clients on this replica",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _stepsInFlight = _meter.CreateUpDownCounter<long>("edgeportal.migration.steps.in_flight", "{step}", "Steps executing right now");
        _meter.CreateObservableGauge("edgeportal.migrations.queued", () => Volatile.Read(ref _queued), "{migration}", "Migrations waiting for a slot");
        _meter.CreateObservableGauge("edgeportal.migrations.running", () => Volatile.Read(ref _running), "{migration}", "Migrations running or rolling back");
        _meter.CreateObservableGauge("edgeportal.tenants.active", ActiveTenants, "{tenant}",
            "Tenants with a migration that ended on this replica within the last hour (a count: no tenant is named)");
    }

    internal void SetQueue(int queued, int running)
    {
        Volatile.Write(ref _queued, queued);
        Volatile.Write(ref _running, running);
    }

    internal void StepStarted() => _stepsInFlight.Add(1);

    internal void StepEnded() => _stepsInFlight.Add(-1);

    internal void Finished(Migration migration)
    {
        _tenantActivity[migration.TenantId] = _clock.GetUtcNow();
        var strategy = new KeyValuePair<string, object?>("strategy", migration.Strategy.ToString());
        _finished.Add(1, strategy, new KeyValuePair<string, object?>("outcome", migration.State.ToString()));
        if (migration.State != MigrationState.Completed)
            return;
        Compare(_downtime, "downtime", migration.MeasuredDowntimeMs ?? 0, migration.Plan.PredictedDowntimeMs, strategy);
        Compare(_total, "duration", migration.MeasuredMigrationTimeMs ?? 0, migration.Plan.PredictedMigrationTimeMs, strategy);
    }

    private void Compare(Histogram<double> histogram, string kpi, double measuredMs, double predictedMs, KeyValuePair<string, object?> strategy)
    {
        histogram.Record(measuredMs / 1000, strategy, new("kind", "measured"));
        histogram.Record(predictedMs / 1000, strategy, new("kind", "predicted"));
        if (predictedMs > 0)
            _modelError.Record((measuredMs - predictedMs) / predictedMs, strategy, new("kpi", kpi));
    }

    /// <summary>Live events pushed to hub clients: each one's age at that moment (<paramref name="now"/> less its <c>At</c>).</summary>
    public void EventsDelivered(IEnumerable<MigrationEvent> events, DateTimeOffset now)
    {
        foreach (var e in events)
            _eventDelivery.Record(Math.Max(0, (now - e.At).TotalSeconds));
    }

    private int ActiveTenants()
    {
        var since = _clock.GetUtcNow() - ActiveTenantWindow;
        foreach (var (tenant, at) in _tenantActivity)
        {
            if (at < since)
                _tenantActivity.TryRemove(new KeyValuePair<TenantId, DateTimeOffset>(tenant, at));
        }
        return _tenantActivity.Count;
    }

    public void Dispose() => _meter.Dispose();
}
