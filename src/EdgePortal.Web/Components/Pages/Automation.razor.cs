using EdgePortal.Web.Components.Shared;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Inventory;
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
    [Inject] private IScheduleCalendar Calendar { get; set; } = null!;
    [Inject] private NodeDrainer Drainer { get; set; } = null!;
    [Inject] private IAutomationEventStream Events { get; set; } = null!;
    [Inject] private IOptions<AutomationOptions> AutomationOptions { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private NodeRetirement Retirement { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;
    [Inject] private Security.AuditTrail Audit { get; set; } = null!;

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

    private void AddWindow()
    {
        _windowErrors = [];
        if (_windowCluster is not { } cluster)
        {
            Snackbar.Add("Pick a cluster first.", Severity.Warning);
            return;
        }
        var window = MaintenanceWindowInput.TryBuild(ClusterId.From(cluster), MaintenanceWindowId.New(), _windowName,
            (_windowDays ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), _windowStart, _windowMinutes,
            _windowZone, Calendar, (field, message) => _windowErrors[field] = message);
        if (window is null)
        {
            Snackbar.Add($"Not added: {string.Join(" ", _windowErrors.Values)}", Severity.Error);
            return;
        }
        Windows.Save(window);
        Snackbar.Add($"Added {window.Name}: {window.Describe()}.", Severity.Success);
        Load();
    }

    private void DeleteWindow(MaintenanceWindowId id)
    {
        Windows.Delete(id);
        Load();
    }

    private void Drain()
    {
        if (_drainNode is not { } node)
            return;
        switch (Drainer.Start(NodeId.From(node), "operator"))
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
        switch (Retirement.Retire(node.Id, _scope, Audit))
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
