using EdgePortal.Web.Components.Shared;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Components.Migrations;
using EdgePortal.Web.Migrations;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EdgePortal.Web.Components.Pages;

/// <summary>
/// Every migration, newest first, live: the page subscribes to all tenants' events (tenancy comes later),
/// loads the snapshot, and on each batch re-reads only the migrations the batch names, replacing their rows in
/// place (or adding new ones on top) so that nothing else on the page moves. It loads the newest <see cref="Limit"/>
/// and pages further back on request by keyset (the oldest row shown is the cursor), never the whole history.
/// </summary>
public sealed partial class Migrations : IAsyncDisposable
{
    private const string All = "";
    private const int Limit = 500;

    private readonly List<MigrationRowViewModel> _rows = [];
    private List<MigrationRowViewModel> _visible = [];
    private InventoryNames _names = null!;
    private LiveFeed? _feed;
    private DateTimeOffset _now;
    private string? _fault;
    /// <summary>Whether the last page read came back full, so that older migrations may exist.</summary>
    private bool _olderMayExist;
    private string _stateFilter = All;
    private string _clusterFilter = All;
    private string _tenantFilter = All;

    [Inject] private IMigrationRepository Repository { get; set; } = null!;
    [Inject] private IInventoryRepository Inventory { get; set; } = null!;
    [Inject] private IMigrationEventStream Stream { get; set; } = null!;
    [Inject] private MigrationEngine Engine { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;

    private string CountText => _visible.Count == _rows.Count
        ? $"{_rows.Count} migration{(_rows.Count == 1 ? "" : "s")}"
        : $"{_visible.Count} of {_rows.Count} migrations";

    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;

    /// <summary>A tenant's user sees its own tenant's migrations only.</summary>
    private Security.TenantScope _scope = null!;

    protected override async Task OnInitializedAsync()
    {
        _scope = await CurrentTenant.GetAsync();
        _names = InventoryNames.Read(Inventory, _scope.Tenant);
        _now = Clock.GetUtcNow();
        _feed = LiveFeed.Start(Stream, tenant: _scope.Tenant, migration: null, LoadSnapshot, ApplyAsync, OnFault);
    }

    private void LoadSnapshot()
    {
        var waiting = WaitingFor();
        _rows.Clear();
        var page = Repository.List(new MigrationQuery(Tenant: _scope.Tenant, Limit: Limit));
        _olderMayExist = page.Count == Limit;
        _rows.AddRange(page.Select(m => Row(m, waiting)));
        Filter();
    }

    /// <summary>Appends the next <see cref="Limit"/> older migrations, continuing after the oldest row shown.</summary>
    private void LoadOlder()
    {
        if (_rows.Count == 0)
            return;
        var oldest = _rows.MinBy(r => HistoryCursor.At(r.CreatedAt, r.Id.Value))!;
        var waiting = WaitingFor();
        var page = Repository.List(new MigrationQuery(Tenant: _scope.Tenant, Limit: Limit, Before: HistoryCursor.At(oldest.CreatedAt, oldest.Id.Value)));
        _olderMayExist = page.Count == Limit;
        _rows.AddRange(page.Where(m => _rows.TrueForAll(r => r.Id != m.Id)).Select(m => Row(m, waiting)));
        Filter();
    }

    /// <summary>Reads what the batch changed off the render thread, then applies it in one render.</summary>
    private async Task ApplyAsync(IReadOnlyList<MigrationEvent> batch, CancellationToken cancellationToken)
    {
        var waiting = WaitingFor();
        var changed = batch.Select(e => e.MigrationId).Distinct()
            .Select(Repository.Find).OfType<Migration>().Where(m => _scope.Sees(m.TenantId)).Select(m => Row(m, waiting)).ToList();
        await InvokeAsync(() =>
        {
            foreach (var row in changed)
            {
                var index = _rows.FindIndex(r => r.Id == row.Id);
                if (index < 0)
                    _rows.Insert(InsertionPoint(row), row);
                else if (_rows[index].Version <= row.Version)
                    _rows[index] = row;
            }
            // What a queued migration waits for changes as others start and finish, without events of its own.
            for (var i = 0; i < _rows.Count; i++)
                if (_rows[i].State == MigrationState.Queued && waiting.GetValueOrDefault(_rows[i].Id) is var w && w != _rows[i].WaitingFor)
                    _rows[i] = _rows[i] with { WaitingFor = w };
            _now = Clock.GetUtcNow();
            Filter();
            StateHasChanged();
        });
    }

    private void OnFault(Exception e) => _ = InvokeAsync(() =>
    {
        _fault = e.Message;
        StateHasChanged();
    });

    /// <summary>Newest first; a migration that arrives live goes above any created at the same instant.</summary>
    private int InsertionPoint(MigrationRowViewModel row)
    {
        var index = _rows.FindIndex(r => r.CreatedAt <= row.CreatedAt);
        return index < 0 ? _rows.Count : index;
    }

    private Dictionary<MigrationId, string> WaitingFor()
        => Engine.Queue.GroupBy(q => q.MigrationId).ToDictionary(g => g.Key, g => g.First().WaitingFor);

    private MigrationRowViewModel Row(Migration m, IReadOnlyDictionary<MigrationId, string> waiting)
        => MigrationRowViewModel.From(MigrationViewModel.From(m, waiting.GetValueOrDefault(m.Id)), _names);

    private void Filter()
        => _visible = [.. _rows.Where(r =>
            (_stateFilter == All || r.State.ToString() == _stateFilter)
            && (_clusterFilter == All || r.ClusterId.ToString() == _clusterFilter)
            && (_tenantFilter == All || r.TenantId.ToString() == _tenantFilter))];

    private void SetStateFilter(string value)
    {
        _stateFilter = value ?? All;
        Filter();
    }

    private void SetClusterFilter(string value)
    {
        _clusterFilter = value ?? All;
        Filter();
    }

    private void SetTenantFilter(string value)
    {
        _tenantFilter = value ?? All;
        Filter();
    }

    private static string StateOption(string value) => string.IsNullOrEmpty(value) ? "All states" : value;

    private string ClusterOption(string value)
        => string.IsNullOrEmpty(value) ? "All clusters" : _names.Clusters.FirstOrDefault(c => c.Key.ToString() == value).Value ?? value;

    private string TenantOption(string value)
        => string.IsNullOrEmpty(value) ? "All tenants" : _names.Tenants.FirstOrDefault(t => t.Key.ToString() == value).Value ?? value;

    private void OpenRow(DataGridRowClickEventArgs<MigrationRowViewModel> args) => Navigation.NavigateTo($"/migrations/{args.Item.Id}");

    private static Color ProgressColour(MigrationState state) => state switch
    {
        MigrationState.Completed => Color.Success,
        MigrationState.Running => Color.Info,
        MigrationState.RollingBack or MigrationState.RolledBack or MigrationState.Cancelled => Color.Warning,
        MigrationState.Failed => Color.Error,
        _ => Color.Default,
    };

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null)
            await _feed.DisposeAsync();
    }
}
