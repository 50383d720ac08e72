using EdgePortal.Web.Components.Shared;
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
/// One service: its profile, targets, its migrations (live), and the "Migrate…" action that opens
/// <see cref="StartMigrationDialog"/>.
/// </summary>
public sealed partial class ServiceDetail : IAsyncDisposable
{
    private const int MigrationsShown = 20;

    private ServiceViewModel? _service;
    private IReadOnlyList<MigrationRowViewModel> _migrations = [];
    private DateTimeOffset _now;
    private LiveFeed? _feed;
    private Guid _loadedId;

    [Parameter] public Guid Id { get; set; }

    [Inject] private InventoryReader Inventory { get; set; } = null!;
    [Inject] private IInventoryRepository InventoryRepository { get; set; } = null!;
    [Inject] private IMigrationRepository Repository { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private IMigrationEventStream Stream { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;

    private Security.TenantScope? _scope;

    protected override async Task OnParametersSetAsync()
    {
        if (Id == _loadedId && _service is not null)
            return;
        if (_feed is not null)
        {
            await _feed.DisposeAsync();
            _feed = null;
        }
        _loadedId = Id;
        _scope ??= await CurrentTenant.GetAsync();
        _feed = LiveFeed.Start(Stream, tenant: null, migration: null, LoadSnapshot, ApplyAsync, _ => { });
    }

    private void LoadSnapshot() => (_service, _migrations) = Read();

    private (ServiceViewModel?, IReadOnlyList<MigrationRowViewModel>) Read()
    {
        _now = Clock.GetUtcNow();
        var service = Inventory.Service(ServiceId.From(_loadedId));
        // Another tenant's service reads exactly like one that does not exist.
        if (service is null || _scope?.Sees(service.TenantId) != true)
            return (null, []);
        var names = InventoryNames.Read(InventoryRepository, _scope!.Tenant);
        return (service, [.. Repository.List(new MigrationQuery(Service: service.Id, Limit: MigrationsShown))
            .Select(m => MigrationRowViewModel.From(MigrationViewModel.From(m), names))]);
    }

    /// <summary>Events do not name their service: re-read this service's few migrations (and the service, which may have moved).</summary>
    private async Task ApplyAsync(IReadOnlyList<MigrationEvent> batch, CancellationToken cancellationToken)
    {
        var (service, migrations) = Read();
        await InvokeAsync(() =>
        {
            if (service is not null)
                (_service, _migrations) = (service, migrations);
            StateHasChanged();
        });
    }

    private async Task OpenMigrateDialogAsync()
    {
        if (_service is null || _scope?.May(Security.PortalPolicies.Operator) != true)
            return;
        var parameters = new DialogParameters<StartMigrationDialog> { { d => d.Service, _service } };
        var options = new DialogOptions { MaxWidth = MaxWidth.Large, FullWidth = true, CloseOnEscapeKey = true, CloseButton = true, BackdropClick = false };
        await Dialogs.ShowAsync<StartMigrationDialog>($"Migrate {_service.Name}", parameters, options);
    }

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null)
            await _feed.DisposeAsync();
    }
}
