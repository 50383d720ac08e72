using System.Diagnostics.Metrics;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>
/// The engine's instruments on the <c>EdgePortal.Migrations</c> meter: outcomes by strategy, measured
/// and predicted downtime and total time, steps in flight and the queue. Exporters (Prometheus) are the host's business.
/// </summary>
public sealed class MigrationMetrics : IDisposable
{
    public const string MeterName = "EdgePortal.Migrations";

    private readonly Meter _meter;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _downtime;
    private readonly Histogram<double> _total;
    private readonly UpDownCounter<long> _stepsInFlight;
    private int _queued;
    private int _running;

    public MigrationMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _finished = _meter.CreateCounter<long>("edgeportal.migrations.finished", "{migration}", "Migrations finished, by strategy and outcome");
        _downtime = _meter.CreateHistogram<double>("edgeportal.migration.downtime", "ms", "Service downtime per completed migration (kind = measured | predicted)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [50, 100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000] });
        _total = _meter.CreateHistogram<double>("edgeportal.migration.duration", "ms", "Total migration time per completed migration (kind = measured | predicted)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [250, 500, 1000, 2000, 3000, 5000, 10000, 20000, 60000, 300000] });
        _stepsInFlight = _meter.CreateUpDownCounter<long>("edgeportal.migration.steps.in_flight", "{step}", "Steps executing right now");
        _meter.CreateObservableGauge("edgeportal.migrations.queued", () => Volatile.Read(ref _queued), "{migration}", "Migrations waiting for a slot");
        _meter.CreateObservableGauge("edgeportal.migrations.running", () => Volatile.Read(ref _running), "{migration}", "Migrations running or rolling back");
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
        var strategy = new KeyValuePair<string, object?>("strategy", migration.Strategy.ToString());
        _finished.Add(1, strategy, new KeyValuePair<string, object?>("outcome", migration.State.ToString()));
        if (migration.State != MigrationState.Completed)
            return;
        _downtime.Record(migration.MeasuredDowntimeMs ?? 0, strategy, new("kind", "measured"));
        _downtime.Record(migration.Plan.PredictedDowntimeMs, strategy, new("kind", "predicted"));
        _total.Record(migration.MeasuredMigrationTimeMs ?? 0, strategy, new("kind", "measured"));
        _total.Record(migration.Plan.PredictedMigrationTimeMs, strategy, new("kind", "predicted"));
    }

    public void Dispose() => _meter.Dispose();
}
