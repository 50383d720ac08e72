using EdgePortal.Web.Components.Shared;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.UseCases.Nodes;
using EdgePortal.Web.UseCases.Windows;
using EdgePortal.Web.Scheduling;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace EdgePortal.Web.Components.Pages;

/// <summary>
/// The automation log (each KPI monitor decision with the KPI, the value, the plan and why that node), the
/// maintenance windows per cluster, and node drains with their progress; decisions and drains arrive live.
/// </summary>
public sealed partial class Automation : IAsyncDisposable
{
    private LiveFeed? _feed;
    private IReadOnlyList<AutomationDecision> _decisions = [];
    private IReadOnlyList<MaintenanceWindow> _windows = [];
    private IReadOnlyList<DrainOperation> _drains = [];
    private IReadOnlyList<EdgeCluster> _clusters = [];
    private IReadOnlyList<EdgeNode> _nodesList = [];
    private Dictionary<string, string> _windowErrors = [];
    private Guid? _windowCluster;
    private string? _windowName = "Night";
    private string? _windowDays = "Saturday,Sunday";
    private string? _windowStart = "02:00";
    private int? _windowMinutes = 120;
    private string? _windowZone = "Europe/Rome";
    private Guid? _drainNode;
    private Security.TenantScope? _scope;

    [Inject] private IAutomationDecisionRepository Decisions { get; set; } = null!;
    [Inject] private IMaintenanceWindowRepository Windows { get; set; } = null!;
    [Inject] private IDrainRepository Drains { get; set; } = null!;
    [Inject] private IInventoryRepository Inventory { get; set; } = null!;
    [Inject] private DrainNode DrainNode { get; set; } = null!;
    [Inject] private UncordonNode UncordonNode { get; set; } = null!;
    [Inject] private RetireNode RetireNode { get; set; } = null!;
    [Inject] private AddMaintenanceWindow AddWindowUseCase { get; set; } = null!;
    [Inject] private DeleteMaintenanceWindow DeleteWindowUseCase { get; set; } = null!;
    [Inject] private IAutomationEventStream Events { get; set; } = null!;
    [Inject] private IOptions<AutomationOptions> AutomationOptions { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;

    private AutomationOptions Options => AutomationOptions.Value;

    protected override void OnInitialized()
    {
        _feed = LiveFeed.Start(token => Events.Subscribe(token), Load, Apply, _ => { });
        _windowCluster = _clusters.FirstOrDefault()?.Id.Value;
    }

    protected override async Task OnInitializedAsync() => _scope = await CurrentTenant.GetAsync();

    private Task Apply(AutomationEvent e, CancellationToken cancellationToken) => e is DecisionRecorded or DrainChanged
        ? InvokeAsync(() =>
        {
            Load();
            StateHasChanged();
        })
        : Task.CompletedTask;

    private void Load()
    {
        _decisions = Decisions.List(limit: 200);
        _windows = Windows.List();
        _drains = Drains.List(20);
        _clusters = Inventory.Clusters();
        _nodesList = Inventory.Topology().Nodes;
    }

    /// <summary>The Automation page is the provider's (its route's policy); a forged event from another circuit is refused here as well.</summary>
    private bool IsProvider => _scope?.May(Security.PortalPolicies.Provider) == true;

    private void AddWindow()
    {
        _windowErrors = [];
        if (!IsProvider)
            return;
        if (_windowCluster is not { } cluster)
        {
            Snackbar.Add("Pick a cluster first.", Severity.Warning);
            return;
        }
        var fields = new MaintenanceWindowBody(_windowName, (_windowDays ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _windowStart, _windowMinutes, _windowZone);
        switch (AddWindowUseCase.Run(_scope!, ClusterId.From(cluster), fields))
        {
            case UseCaseResult<MaintenanceWindow>.Done done:
                Snackbar.Add($"Added {done.Value.Name}: {done.Value.Describe()}.", Severity.Success);
                break;
            case UseCaseResult<MaintenanceWindow>.Invalid invalid:
                _windowErrors = new Dictionary<string, string>(invalid.Errors);
                Snackbar.Add($"Not added: {invalid.Text}", Severity.Error);
                return;
            case UseCaseResult<MaintenanceWindow>.NotFound notFound:
                Snackbar.Add(notFound.Detail, Severity.Error);
                break;
        }
        Load();
    }

    private void DeleteWindow(MaintenanceWindow window)
    {
        if (!IsProvider)
            return;
        DeleteWindowUseCase.Run(_scope!, window.ClusterId, window.Id);
        Load();
    }

    private void Drain()
    {
        if (_drainNode is not { } node || !IsProvider)
            return;
        switch (DrainNode.Run(_scope!, NodeId.From(node)))
        {
            case DrainStartResult.Started s:
                Snackbar.Add($"Draining {s.Drain.NodeName}: {s.Drain.Items.Count} services.", Severity.Info);
                break;
            case DrainStartResult.Conflict c:
                Snackbar.Add(c.Detail, Severity.Warning);
                break;
            case DrainStartResult.NotFound n:
                Snackbar.Add(n.Detail, Severity.Error);
                break;
        }
        Load();
    }

    /// <summary>Lets the picked node take services again, once no drain of it runs.</summary>
    private void Uncordon()
    {
        if (_drainNode is not { } node || !IsProvider)
            return;
        switch (UncordonNode.Run(_scope!, NodeId.From(node)))
        {
            case UseCaseResult<EdgeNode>.Done done:
                Snackbar.Add($"{done.Value.Name} is {done.Value.Status}: it takes services again.", Severity.Success);
                break;
            case UseCaseResult<EdgeNode>.Conflict conflict:
                Snackbar.Add(conflict.Detail, Severity.Warning);
                break;
            case UseCaseResult<EdgeNode>.NotFound notFound:
                Snackbar.Add(notFound.Detail, Severity.Error);
                break;
        }
        Load();
    }

    /// <summary>Retires the picked node once the provider admin confirms; what stands in the way is named in the snackbar.</summary>
    private async Task RetireAsync()
    {
        // The button shows only to provider admins; a forged event from another circuit is refused here as well.
        if (_drainNode is not { } id || _scope?.May(Security.PortalPolicies.ProviderAdmin) != true || Inventory.FindNode(NodeId.From(id)) is not { } node)
            return;
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Retire {node.Name}?",
            $"{node.Name} leaves the edge for good: nothing is placed on it or routed through it, the users attached there attach at the nearest node, "
            + "and history keeps its name. Registering it again brings it back.",
            yesText: "Retire it",
            cancelText: "Keep it");
        if (confirmed != true)
            return;
        switch (RetireNode.Run(_scope, node.Id))
        {
            case NodeRetirementResult.Retired r:
                Snackbar.Add(r.Summary, Severity.Success);
                _drainNode = null;
                break;
            case NodeRetirementResult.Refused r:
                Snackbar.Add(r.Detail, Severity.Warning);
                break;
            case NodeRetirementResult.NotFound r:
                Snackbar.Add(r.Detail, Severity.Error);
                break;
        }
        Load();
    }

    internal static string ActionText(AutomationAction action) => action switch
    {
        AutomationAction.Migrated => "Migrated",
        AutomationAction.DeferredOutsideWindow => "Deferred (window)",
        AutomationAction.NoFeasiblePlan => "No feasible plan",
        AutomationAction.AlreadyMigrating => "Already migrating",
        _ => action.ToString(),
    };

    private static Color ActionColour(AutomationAction action) => action switch
    {
        AutomationAction.Migrated => Color.Success,
        AutomationAction.DeferredOutsideWindow => Color.Info,
        _ => Color.Warning,
    };

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null)
            await _feed.DisposeAsync();
    }
}
