using EdgePortal.Web.Components.Shared;
using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Components.Migrations;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Migrations;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace EdgePortal.Web.Components.Pages;

/// <summary>
/// The edge at a glance, live: migrations in flight as arrows on the map, the tiles, the last migrations and
/// the downtime chart follow the event stream; the map itself is re-read when a migration finishes (a completed
/// one has moved its service).
/// </summary>
public sealed partial class Overview : IAsyncDisposable
{
    private const int Loaded = 500;
    private const int RecentCount = 8;
    private const int ChartCount = 12;

    private TopologyViewModel _topology = null!;
    private List<ServiceViewModel> _violating = [];
    private IReadOnlyList<MigrationRowViewModel> _recent = [];
    private IReadOnlyList<MigrationRowViewModel> _inFlight = [];
    private IReadOnlyList<DowntimePointViewModel> _downtime = [];
    private (double MeasuredMs, double Ratio)? _median;
    private int _migrationsToday;
    private DateTimeOffset _now;
    private LiveFeed? _feed;
    private string? _fault;

    [Inject] private InventoryReader InventoryViews { get; set; } = null!;
    [Inject] private IInventoryRepository Inventory { get; set; } = null!;
    [Inject] private IMigrationRepository Repository { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private IMigrationEventStream Stream { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;

    /// <summary>A tenant's user sees its own services and migrations on the map and in the figures.</summary>
    private Security.TenantScope _scope = null!;

    private string MedianText => _median is { } m ? Durations.Format(m.MeasuredMs) : "–";

    private string MedianDetail => _median is { } m
        ? $"{m.Ratio.ToString("P0", CultureInfo.InvariantCulture)} of target{(m.Ratio > 1 ? " (over)" : "")}"
        : "no completed migrations yet";

    private Color MedianSeverity => _median switch
    {
        null => Color.Default,
        { Ratio: <= 1 } => Color.Success,
        _ => Color.Warning,
    };

    protected override async Task OnInitializedAsync()
    {
        _scope = await CurrentTenant.GetAsync();
        _feed = LiveFeed.Start(Stream, tenant: _scope.Tenant, migration: null, LoadSnapshot, ApplyAsync, OnFault);
    }

    private void LoadSnapshot() => Show(ReadTopology(), ReadMigrations());

    private async Task ApplyAsync(IReadOnlyList<MigrationEvent> batch, CancellationToken cancellationToken)
    {
        // A finished migration may have moved its service: redraw the map from the inventory then, not before.
        (TopologyViewModel, List<ServiceViewModel>)? topology = batch.Any(e => e is MigrationFinished) ? ReadTopology() : null;
        var migrations = ReadMigrations();
        await InvokeAsync(() =>
        {
            Show(topology ?? (_topology, _violating), migrations);
            StateHasChanged();
        });
    }

    private void OnFault(Exception e) => _ = InvokeAsync(() =>
    {
        _fault = e.Message;
        StateHasChanged();
    });

    private (TopologyViewModel, List<ServiceViewModel>) ReadTopology()
    {
        // As the API shows it to this principal: a tenant sees its clusters, its services and only them counted on the nodes.
        var topology = InventoryViews.Topology(_scope.Tenant);
        var violating = topology.Services.Where(s => s.ViolatesLatency)
            .OrderByDescending(s => s.UserLatencyMs / s.Targets.MaxUserLatencyMs).ToList();
        return (topology, violating);
    }

    private List<MigrationRowViewModel> ReadMigrations()
    {
        var names = InventoryNames.Read(Inventory, _scope.Tenant);
        return [.. Repository.List(new MigrationQuery(Tenant: _scope.Tenant, Limit: Loaded)).Select(m => MigrationRowViewModel.From(MigrationViewModel.From(m), names))];
    }

    private void Show((TopologyViewModel Topology, List<ServiceViewModel> Violating) map, List<MigrationRowViewModel> migrations)
    {
        (_topology, _violating) = map;
        _now = Clock.GetUtcNow();
        var today = _now.UtcDateTime.Date;
        _migrationsToday = migrations.Count(m => m.CreatedAt.UtcDateTime.Date == today);
        _recent = [.. migrations.Take(RecentCount)];
        _inFlight = [.. migrations.Where(m => m.IsInFlight).OrderBy(m => m.CreatedAt)];
        _downtime = DowntimePointViewModel.Recent(migrations, ChartCount);
        _median = Median(migrations.Where(m => m.State == MigrationState.Completed && m.MeasuredDowntimeMs is not null).ToList());
    }

    /// <summary>The median measured downtime of the completed migrations, and the median of each one's downtime over its own target.</summary>
    private static (double, double)? Median(IReadOnlyList<MigrationRowViewModel> completed)
    {
        if (completed.Count == 0)
            return null;
        return (MedianOf(completed.Select(m => m.MeasuredDowntimeMs!.Value)), MedianOf(completed.Select(m => m.MeasuredDowntimeMs!.Value / m.TargetDowntimeMs)));
    }

    private static double MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Measured once completed, predicted while it may still happen, none for one that stopped short.</summary>
    private static string RecentDowntime(MigrationRowViewModel m) => m switch
    {
        { MeasuredDowntimeMs: { } measured } => Durations.Format(measured),
        { State: MigrationState.Queued or MigrationState.Running } => $"{Durations.Format(m.PredictedDowntimeMs)} (pred.)",
        _ => "–",
    };

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null)
            await _feed.DisposeAsync();
    }
}
