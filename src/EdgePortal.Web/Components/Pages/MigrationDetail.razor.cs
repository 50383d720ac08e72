using EdgePortal.Web.Components.Shared;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Components.Migrations;
using EdgePortal.Web.Migrations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EdgePortal.Web.Components.Pages;

/// <summary>
/// One migration, live through <see cref="IMigrationEventStream"/> filtered to it: the timeline grows as steps
/// start and finish, the tables follow, the event log appends each event with the runtime's words. While a
/// step runs, a ticker redraws the growing bar twice a second. Cancel asks first, then asks the engine.
/// </summary>
public sealed partial class MigrationDetail : IAsyncDisposable
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(500);

    private MigrationViewModel? _migration;
    private MigrationTimelineViewModel _timeline = null!;
    private readonly List<MigrationLogEntryViewModel> _log = [];
    private long _lastSequence;
    private InventoryNames _names = null!;
    private LiveFeed? _feed;
    private CancellationTokenSource? _ticker;
    private Guid _loadedId;
    private DateTimeOffset _now;
    private string? _fault;

    [Parameter] public Guid Id { get; set; }

    [Inject] private IMigrationRepository Repository { get; set; } = null!;
    [Inject] private IInventoryRepository Inventory { get; set; } = null!;
    [Inject] private IMigrationEventStream Stream { get; set; } = null!;
    [Inject] private MigrationEngine Engine { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;
    [Inject] private UseCases.Migrations.CancelMigration CancelMigration { get; set; } = null!;

    private Security.TenantScope? _scope;

    protected override async Task OnParametersSetAsync()
    {
        if (Id == _loadedId && _feed is not null)
            return;
        await StopAsync();
        _loadedId = Id;
        _scope ??= await CurrentTenant.GetAsync();
        _names = InventoryNames.Read(Inventory, _scope.Tenant);
        var id = MigrationId.From(Id);
        _feed = LiveFeed.Start(Stream, tenant: null, migration: id, LoadSnapshot, ApplyAsync, OnFault);
        if (_migration is null)
            await StopAsync();
        else
            StartTicker();
    }

    private void LoadSnapshot()
    {
        _now = Clock.GetUtcNow();
        _log.Clear();
        _fault = null;
        _migration = Read();
        if (_migration is null)
            return;
        _log.AddRange(MigrationLog.FromSnapshot(_migration, _names));
        _lastSequence = _migration.Version;
        _timeline = MigrationTimelineViewModel.Build(_migration, _now);
    }

    private MigrationViewModel? Read()
    {
        var id = MigrationId.From(_loadedId);
        // Another tenant's migration reads exactly like one that does not exist.
        return Repository.Find(id) is { } m && _scope?.Sees(m.TenantId) == true
            ? MigrationViewModel.From(m, Engine.Queue.FirstOrDefault(q => q.MigrationId == id)?.WaitingFor)
            : null;
    }

    private async Task ApplyAsync(IReadOnlyList<MigrationEvent> batch, CancellationToken cancellationToken)
    {
        var latest = Read();
        await InvokeAsync(() =>
        {
            if (latest is not null && (_migration is null || latest.Version >= _migration.Version))
                _migration = latest;
            if (_migration is null)
                return;
            foreach (var e in batch.OrderBy(e => e.Sequence))
            {
                if (e.Sequence <= _lastSequence)
                    continue;
                _log.Add(MigrationLog.Describe(e, _migration, _names));
                _lastSequence = e.Sequence;
            }
            Redraw();
        });
    }

    private void Redraw()
    {
        _now = Clock.GetUtcNow();
        if (_migration is not null)
            _timeline = MigrationTimelineViewModel.Build(_migration, _now);
        StateHasChanged();
    }

    private void OnFault(Exception e) => _ = InvokeAsync(() =>
    {
        _fault = e.Message;
        StateHasChanged();
    });

    /// <summary>Redraws the running step's growing bar and a queued migration's wait until the migration finishes.</summary>
    private void StartTicker()
    {
        _ticker = new CancellationTokenSource();
        var token = _ticker.Token;
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TickInterval, Clock);
            try
            {
                while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
                {
                    switch (_migration)
                    {
                        case { State: MigrationState.Queued } queued:
                            var waiting = Engine.Queue.FirstOrDefault(q => q.MigrationId == queued.Id)?.WaitingFor;
                            if (waiting is not null && waiting != queued.WaitingFor)
                                await InvokeAsync(() =>
                                {
                                    if (_migration is { State: MigrationState.Queued } still)
                                        _migration = still with { WaitingFor = waiting };
                                    StateHasChanged();
                                }).ConfigureAwait(false);
                            break;
                        case { State: MigrationState.Running or MigrationState.RollingBack } running
                            when running.Steps.Any(step => step.Status == StepStatus.Running):
                            await InvokeAsync(Redraw).ConfigureAwait(false);
                            break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
                // The circuit went away between two ticks.
            }
        }, token);
    }

    private async Task ConfirmCancelAsync()
    {
        // The button shows only to operators; a forged event from a viewer's circuit is refused here as well.
        if (_migration is not { } m || _scope?.May(Security.PortalPolicies.Operator) != true)
            return;
        var running = m.State == MigrationState.Running;
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Cancel this migration?",
            running
                ? $"{m.ServiceName} is being moved to {_names.Node(m.Destination)}. Cancelling rolls it back: the service keeps serving from {_names.Node(m.Source)}."
                : $"{m.ServiceName} has not started moving yet. Cancelling removes it from the queue.",
            yesText: "Yes, cancel it",
            cancelText: "Keep it");
        if (confirmed != true)
            return;

        var (text, severity) = CancelMigration.Run(_scope, m.Id) switch
        {
            UseCases.UseCaseResult<UseCases.Migrations.CancelledMigration>.Done { Value.Outcome: CancelOutcome.Cancelled } =>
                ($"Migration of {m.ServiceName} cancelled before it started.", Severity.Success),
            UseCases.UseCaseResult<UseCases.Migrations.CancelledMigration>.Done =>
                ($"Cancelling: {m.ServiceName} is rolling back to {_names.Node(m.Source)}.", Severity.Info),
            UseCases.UseCaseResult<UseCases.Migrations.CancelledMigration>.Conflict { Title: "Only forward" } conflict => (conflict.Detail, Severity.Warning),
            UseCases.UseCaseResult<UseCases.Migrations.CancelledMigration>.Conflict =>
                ($"Nothing to cancel: the migration of {m.ServiceName} has already finished or is rolling back.", Severity.Warning),
            _ => ("Nothing to cancel: the migration no longer exists.", Severity.Error),
        };
        Snackbar.Add(text, severity);
        // The events follow through the feed; reading now shows the outcome at once.
        if (Read() is { } latest && latest.Version >= m.Version)
            _migration = latest;
        Redraw();
    }

    private static double? MeasuredDowntime(MigrationViewModel m)
        => m.MeasuredDowntimeMs ?? (m.Steps.Any(s => s.IsDowntime && s.MeasuredMs is not null)
            ? m.Steps.Sum(s => s.DowntimeMs) : null);

    private double? MeasuredTotal(MigrationViewModel m)
        => m.MeasuredMigrationTimeMs ?? (m.StartedAt is { } s ? ((m.FinishedAt ?? _now) - s).TotalMilliseconds : null);

    private static string MeasuredText(double? ms, bool partial)
        => ms is { } value ? Durations.Format(value) + (partial ? " so far" : "") : "–";

    private static string KpiClass(double? measured, double target) => measured > target ? "kpi-miss" : "";

    private string StepMeasured(MigrationStep step) => step.Status switch
    {
        StepStatus.Running when step.StartedAt is { } s => $"{Durations.Format(Math.Max(0, (_now - s).TotalMilliseconds))} so far",
        _ => MigrationText.Duration(step.MeasuredMs),
    };

    private static string Outcome(MigrationViewModel m) => m.State switch
    {
        MigrationState.RollingBack => "Rolling back:",
        MigrationState.RolledBack => "Rolled back, the source serves as before:",
        MigrationState.Cancelled => "Cancelled:",
        MigrationState.Failed => "Failed, the service needs an operator:",
        _ => "",
    };

    private static string LogIcon(LogSeverity severity) => severity switch
    {
        LogSeverity.Success => Icons.Material.Filled.CheckCircle,
        LogSeverity.Warning => Icons.Material.Filled.Warning,
        LogSeverity.Error => Icons.Material.Filled.Error,
        _ => Icons.Material.Filled.Info,
    };

    private static Color LogColour(LogSeverity severity) => severity switch
    {
        LogSeverity.Success => Color.Success,
        LogSeverity.Warning => Color.Warning,
        LogSeverity.Error => Color.Error,
        _ => Color.Info,
    };

    private async Task StopAsync()
    {
        if (_ticker is not null)
        {
            await _ticker.CancelAsync();
            _ticker.Dispose();
            _ticker = null;
        }
        if (_feed is not null)
        {
            await _feed.DisposeAsync();
            _feed = null;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
