using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Inventory;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace EdgePortal.Web.Components.Migrations;

/// <summary>
/// The operator's way to move a service: pick a destination (or let the planner), an objective, a strategy
/// override and the targets (pre-filled from the service); the dialog shows what
/// <see cref="UseCases.Migrations.StartMigration.Preview"/> would plan after every change, and only then starts it through
/// <see cref="UseCases.Migrations.StartMigration.Run"/>, as the API does. A plan that misses the targets can start only once the operator
/// ticks that they accept the miss.
/// </summary>
public sealed partial class StartMigrationDialog
{
    private const string Best = "";

    private string _destination = Best;
    private Objective _objective;
    private string _strategy = Best;
    private double? _maxDowntimeMs;
    private double? _maxMigrationTimeMs;
    private bool _acceptMiss;
    private PlanningResult? _preview;
    private IReadOnlyList<PlacementCandidate> _candidates = [];
    private string? _explanation;
    private string? _inputError;

    [CascadingParameter] private IMudDialogInstance MudDialog { get; set; } = null!;

    /// <summary>The service to move, as the page shows it.</summary>
    [Parameter, EditorRequired] public ServiceViewModel Service { get; set; } = null!;

    [Inject] private UseCases.Migrations.StartMigration StartMigration { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;
    [Inject] private NavigationManager Navigation { get; set; } = null!;
    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;

    /// <summary>The signed-in user's rights: the request carries them, so another tenant's service is "not found".</summary>
    private Security.TenantScope _scope = new(Core.Domain.TenantId.From(Guid.Empty), "operator");

    private bool CanStart => _inputError is null && _preview?.Plan is { } plan && (plan.Feasible || _acceptMiss);

    protected override async Task OnInitializedAsync()
    {
        _objective = Service.Objective;
        _maxDowntimeMs = Service.Targets.MaxDowntimeMs;
        _maxMigrationTimeMs = Service.Targets.MaxMigrationTimeMs;
        // Plan only once the user's rights are known: the request carries them, and without them every service reads as unknown.
        _scope = await CurrentTenant.GetAsync();
        Replan();
        _candidates = _preview?.Placement.Candidates ?? [];
    }

    private void SetDestination(string value) => Change(() => _destination = value ?? Best);

    private void SetObjective(Objective value) => Change(() => _objective = value);

    private void SetStrategy(string value) => Change(() => _strategy = value ?? Best);

    private void SetMaxDowntime(double? value) => Change(() => _maxDowntimeMs = value);

    private void SetMaxMigrationTime(double? value) => Change(() => _maxMigrationTimeMs = value);

    private void SetAcceptMiss(bool value) => _acceptMiss = value;

    /// <summary>Any input change re-plans; an acceptance given for the previous plan does not carry over to a new one.</summary>
    private void Change(Action apply)
    {
        apply();
        _acceptMiss = false;
        _explanation = null;
        Replan();
    }

    private void Replan()
    {
        if (Request() is not { } request)
            return;
        _preview = StartMigration.Preview(_scope, request);
    }

    /// <summary>The request the form describes, or null (with <see cref="_inputError"/> set) when a target is not a positive number.</summary>
    private MigrationRequest? Request()
    {
        if (_maxDowntimeMs is not > 0 || _maxMigrationTimeMs is not > 0 || !double.IsFinite(_maxDowntimeMs.Value) || !double.IsFinite(_maxMigrationTimeMs.Value))
        {
            _inputError = "Both targets must be positive numbers of milliseconds before a plan can be made.";
            _preview = null;
            return null;
        }
        _inputError = null;
        return new MigrationRequest
        {
            ServiceId = Service.Id,
            Destination = _destination == Best ? null : NodeId.From(Guid.Parse(_destination)),
            Targets = new KpiTargets(_maxDowntimeMs.Value, _maxMigrationTimeMs.Value, Service.Targets.MaxUserLatencyMs),
            Objective = _objective,
            Strategy = _strategy == Best ? null : Enum.Parse<MigrationStrategy>(_strategy),
            Trigger = MigrationTrigger.Operator,
            RequestedBy = _scope.Actor,
            ActingTenant = _scope.Tenant,
            AcceptTargetMiss = _acceptMiss,
        };
    }

    private void OnFieldKeyDown(KeyboardEventArgs e)
    {
        if (e.Key is "Enter" or "NumpadEnter" && CanStart)
            Start();
    }

    private void Start()
    {
        if (!CanStart || Request() is not { } request || !_scope.May(Security.PortalPolicies.Operator))
            return;
        switch (StartMigration.Run(_scope, request))
        {
            case MigrationRequestResult.Accepted accepted:
                Snackbar.Add($"Migration of {Service.Name} queued: {MigrationText.Strategy(accepted.Migration.Strategy)} to {accepted.Planning.Design?.Destination.DisplayName}.", Severity.Success);
                MudDialog.Close(DialogResult.Ok(accepted.Migration.Id));
                Navigation.NavigateTo($"/migrations/{accepted.Migration.Id}");
                break;
            case MigrationRequestResult.Infeasible infeasible:
                // The edge changed since the preview: show why here and keep everything the operator typed.
                _preview = infeasible.Planning;
                _explanation = infeasible.Detail;
                _acceptMiss = false;
                break;
            case MigrationRequestResult.Conflict conflict:
                Snackbar.Add(conflict.Detail, Severity.Warning, options =>
                {
                    options.Action = "Open it";
                    options.OnClick = _ =>
                    {
                        Navigation.NavigateTo($"/migrations/{conflict.Existing}");
                        return Task.CompletedTask;
                    };
                });
                break;
            case MigrationRequestResult.NotFound notFound:
                Snackbar.Add(notFound.Detail, Severity.Error);
                break;
            case MigrationRequestResult.QuotaExceeded quota:
                Snackbar.Add(quota.Detail, Severity.Warning);
                break;
        }
    }

    private void Close() => MudDialog.Cancel();

    private string DestinationText(string value)
        => string.IsNullOrEmpty(value) ? "Best (planner picks)" : _candidates.FirstOrDefault(c => c.Node.ToString() == value)?.NodeName ?? value;

    private static string StrategyText(string value)
        => string.IsNullOrEmpty(value) ? "Planner's choice" : Enum.TryParse<MigrationStrategy>(value, out var s) ? MigrationText.Strategy(s) : value;

    private static string KpiClass(double predicted, double? target) => predicted > target ? "kpi-miss" : "";
}
