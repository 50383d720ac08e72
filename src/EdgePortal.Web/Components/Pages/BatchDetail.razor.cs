using EdgePortal.Core.Batches;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Web.Components.Batches;
using EdgePortal.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Pages;

/// <summary>
/// A batch's plan on one page (<see cref="BatchReport"/>): the Gantt of its migrations' predicted and actual windows, the
/// links' load over time against their capacity, and who misses which target and why. Live: the page follows the
/// migration events of the reader's tenant and reads the batch again whenever one of its migrations moves.
/// </summary>
public sealed partial class BatchDetail : IAsyncDisposable
{
    private BatchReport? _report;
    private BatchChartsViewModel _charts = null!;
    private HashSet<MigrationId> _members = [];
    private LiveFeed? _feed;
    private Guid _loadedId;
    private string? _fault;
    private Security.TenantScope? _scope;

    [Parameter] public Guid Id { get; set; }

    [Inject] private IMigrationEventStream Stream { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;
    [Inject] private UseCases.Batches.ReadBatch ReadBatch { get; set; } = null!;

    protected override async Task OnParametersSetAsync()
    {
        if (Id == _loadedId && _feed is not null)
            return;
        await StopAsync();
        _loadedId = Id;
        _scope ??= await CurrentTenant.GetAsync();
        // The tenant's own events only: another tenant's migrations are not part of what this reader sees of the batch.
        _feed = LiveFeed.Start(Stream, tenant: _scope.Tenant, migration: null, Load, ApplyAsync, OnFault);
        if (_report is null)
            await StopAsync();
    }

    private void Load()
    {
        _fault = null;
        _report = ReadBatch.Run(_scope!, BatchId.From(_loadedId));
        if (_report is null)
            return;
        _members = [.. _report.Migrations.Select(m => m.MigrationId)];
        _charts = BatchChartsViewModel.Build(_report, Clock.GetUtcNow());
    }

    private async Task ApplyAsync(IReadOnlyList<MigrationEvent> batch, CancellationToken cancellationToken)
    {
        if (!batch.Any(e => _members.Contains(e.MigrationId)))
            return;
        var report = ReadBatch.Run(_scope!, BatchId.From(_loadedId));
        await InvokeAsync(() =>
        {
            if (report is null)
                return;
            _report = report;
            _charts = BatchChartsViewModel.Build(report, Clock.GetUtcNow());
            StateHasChanged();
        });
    }

    private void OnFault(Exception e) => _ = InvokeAsync(() =>
    {
        _fault = e.Message;
        StateHasChanged();
    });

    private string Offset(DateTimeOffset at) => Durations.Format(Math.Max(0, (at - _report!.AcceptedAt).TotalMilliseconds));

    private async Task StopAsync()
    {
        if (_feed is { } feed)
        {
            _feed = null;
            await feed.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
