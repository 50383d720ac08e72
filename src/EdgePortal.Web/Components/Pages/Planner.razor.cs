using EdgePortal.Core.Calibration;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Planning;
using EdgePortal.Web.Components.Planner;
using EdgePortal.Web.Inventory;
using EdgePortal.Web.Planning;
using Microsoft.AspNetCore.Components;

namespace EdgePortal.Web.Components.Pages;

/// <summary>
/// The designer made visible: a profile and targets on the left (typed, or filled from a stored service), on the
/// right the plan the designer picks for them, its phases, every strategy compared, and the feasibility map.
/// Planning takes microseconds, so every change re-plans; changes that come in bursts (a slider being dragged,
/// a number being typed) are gathered for <see cref="ReplanDelay"/> and planned once. The model runs on the paper
/// testbed's parameters or on a host class's newest calibration, as the planner does for a service on such a host.
/// </summary>
public sealed partial class Planner : IDisposable
{
    /// <summary>How long changes are gathered before re-planning.</summary>
    internal static readonly TimeSpan ReplanDelay = TimeSpan.FromMilliseconds(100);

    private const double MinBandwidthMbps = 10;
    private const double MaxBandwidthMbps = 10_000;

    private readonly CancellationTokenSource _disposed = new();
    private IReadOnlyList<ServiceViewModel> _services = [];
    private Guid _serviceId;
    private string? _serviceNote;

    // The inputs, in the units people type them in.
    private double _stateMb = 10;
    private double _dirtyRate;
    private double _bandwidthMbps = 1_000;
    private double _arrivalRate;
    private double _processingRate;
    private double _maxDowntimeMs = 2_000;
    private double _maxMigrationTimeMs = 5_000;
    private Objective _objective = Objective.MinDowntime;
    private bool _forceIterations;
    private bool _allowPostCopy;
    private int _iterations = 3;
    private double _runtimeOverheadMs = PamParameters.PaperTestbed.RuntimeOverheadMs;
    /// <summary>The host class whose calibration the model runs on; "" for the paper testbed's parameters.</summary>
    private string _hostClass = "";
    private IReadOnlyList<HostCalibration> _calibrations = [];

    private bool _replanPending;
    private WhatIfInput? _input;
    private DesignResult? _design;
    private IReadOnlyList<PhaseSegmentViewModel> _phases = [];
    private FeasibilityMapViewModel? _map;
    private string? _inputError;

    [Inject] private InventoryReader Inventory { get; set; } = null!;
    [Inject] private UseCases.Migrations.StartMigration StartMigration { get; set; } = null!;
    [Inject] private ICalibrationRepository Calibrations { get; set; } = null!;

    /// <summary>The parameter set chosen: the newest calibration of <see cref="_hostClass"/>, or the paper testbed's.</summary>
    private PamParameters ParameterSet => Calibration(_hostClass)?.Fit.Parameters ?? PamParameters.PaperTestbed;

    private HostCalibration? Calibration(string hostClass) =>
        _calibrations.FirstOrDefault(c => string.Equals(c.HostClass, hostClass, StringComparison.OrdinalIgnoreCase));

    private int MaxIterations => ParameterSet.MaxIterations;

    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;

    /// <summary>A tenant's user loads its own services' profiles only.</summary>
    private Security.TenantScope _scope = null!;

    protected override async Task OnInitializedAsync()
    {
        _scope = await CurrentTenant.GetAsync();
        _services = Inventory.Services(_scope.Tenant).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        _calibrations = Calibrations.LatestPerHostClass();
        Replan();
    }

    // ---- inputs ----

    private void SetStateMb(double value) => Change(() => _stateMb = value);
    private void SetDirtyRate(double value) => Change(() => _dirtyRate = Math.Clamp(value, 0, 1));
    private void SetBandwidthMbps(double value) => Change(() => _bandwidthMbps = value);
    private void SetArrivalRate(double value) => Change(() => _arrivalRate = value);
    private void SetProcessingRate(double value) => Change(() => _processingRate = value);
    private void SetMaxDowntime(double value) => Change(() => _maxDowntimeMs = value);
    private void SetMaxMigrationTime(double value) => Change(() => _maxMigrationTimeMs = value);
    private void SetObjective(Objective value) => Change(() => _objective = value);
    private void SetForceIterations(bool value) => Change(() => _forceIterations = value);
    private void SetAllowPostCopy(bool value) => Change(() => _allowPostCopy = value);
    private void SetIterations(int value) => Change(() => _iterations = Math.Clamp(value, 0, MaxIterations));
    private void SetRuntimeOverhead(double value) => Change(() => _runtimeOverheadMs = value);

    /// <summary>Another parameter set: T_add starts at that set's own.</summary>
    private void SetHostClass(string hostClass) => Change(() => UseParameterSet(hostClass));

    private void UseParameterSet(string hostClass)
    {
        _hostClass = Calibration(hostClass) is null ? "" : hostClass;
        _runtimeOverheadMs = ParameterSet.RuntimeOverheadMs;
        _iterations = Math.Min(_iterations, MaxIterations);
    }

    /// <summary>The bandwidth slider moves along log10 of Mbit/s, so that 10 Mbit/s to 10 Gbit/s get equal room.</summary>
    private double BandwidthExponent => Math.Clamp(Math.Log10(Math.Max(_bandwidthMbps, 1e-9)), Math.Log10(MinBandwidthMbps), Math.Log10(MaxBandwidthMbps));

    private void SetBandwidthExponent(double exponent) => Change(() => _bandwidthMbps = RoundToThreeDigits(Math.Pow(10, exponent)));

    /// <summary>Fills the profile, the targets, the objective and the bandwidth from a stored service.</summary>
    private void SelectService(Guid id)
    {
        _serviceId = id;
        _serviceNote = null;
        var service = _services.FirstOrDefault(s => s.Id.Value == id);
        if (service is null)
        {
            Change(() => { });
            return;
        }
        var profile = service.Profile;
        // The parameters its plans use: its host class's calibration when there is one.
        UseParameterSet(service.HostClass);
        _stateMb = profile.StateSizeBytes / 1e6;
        _dirtyRate = Math.Round(ParameterSet.NormalisedDirtyRate(profile), 4);
        _arrivalRate = profile.MessageArrivalRate;
        _processingRate = profile.MessageProcessingRate;
        _maxDowntimeMs = service.Targets.MaxDowntimeMs;
        _maxMigrationTimeMs = service.Targets.MaxMigrationTimeMs;
        _objective = service.Objective;
        _forceIterations = false;

        // The bandwidth is that of the path to the destination the planner would pick for it now.
        var planning = StartMigration.Preview(_scope, new MigrationRequest { ServiceId = service.Id, RequestedBy = _scope.Actor });
        _allowPostCopy = planning?.Design?.Strategies.Any(s => s.Strategy == MigrationStrategy.PostCopy && s.BindingConstraint != PlanConstraints.PostCopyNotAllowed) ?? false;
        if (planning?.Design is { } design)
        {
            _bandwidthMbps = design.Destination.PathBandwidth.BitsPerSecond / 1e6;
            _serviceNote = $"{service.Name} ({service.TenantName}) runs on {service.NodeName}; the bandwidth is that of the path to "
                + $"{design.Destination.DisplayName}, where the planner would move it now. Change any value to explore.";
        }
        else
        {
            _serviceNote = $"{service.Name} ({service.TenantName}) runs on {service.NodeName}; no node can take it now "
                + $"({planning?.Summary ?? "the service is gone"}), so the bandwidth is left as it was.";
        }
        Change(() => { });
    }

    /// <summary>Applies a change and re-plans once the burst it belongs to is over.</summary>
    private void Change(Action apply)
    {
        apply();
        if (_replanPending)
            return;
        _replanPending = true;
        _ = ReplanSoonAsync();
    }

    private async Task ReplanSoonAsync()
    {
        try
        {
            await Task.Delay(ReplanDelay, _disposed.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await InvokeAsync(() =>
        {
            _replanPending = false;
            if (_disposed.IsCancellationRequested)
                return;
            Replan();
            StateHasChanged();
        });
    }

    // ---- planning ----

    private void Replan()
    {
        var problem = Problem();
        if (problem is not null)
        {
            // Keep the last plan on screen and say what to fix.
            _inputError = problem;
            return;
        }
        _inputError = null;
        _input = new WhatIfInput
        {
            StateSizeBytes = (long)Math.Ceiling(_stateMb * 1e6),
            DirtyRateNormalized = _dirtyRate,
            BandwidthBitsPerSecond = _bandwidthMbps * 1e6,
            MaxDowntimeMs = _maxDowntimeMs,
            MaxMigrationTimeMs = _maxMigrationTimeMs,
            Objective = _objective,
            Parameters = ParameterSet,
            RuntimeOverheadMs = _runtimeOverheadMs,
            Iterations = _forceIterations ? _iterations : null,
            MessageArrivalRate = _arrivalRate,
            MessageProcessingRate = _processingRate,
            AllowPostCopy = _allowPostCopy,
        };
        _design = WhatIf.Design(_input);
        _phases = PhaseSegmentViewModel.From(_design.Plan);
        _map = FeasibilityMapViewModel.Build(_input, _design);
    }

    /// <summary>What is wrong with the inputs, in the words of the field, or null.</summary>
    private string? Problem()
    {
        var problems = new List<string>();
        if (!double.IsFinite(_stateMb) || _stateMb <= 0 || _stateMb * 1e6 > WhatIf.MaxStateSizeBytes)
            problems.Add($"the state size must be more than 0 MB and at most {ByteSize.Format(WhatIf.MaxStateSizeBytes)}");
        if (!double.IsFinite(_bandwidthMbps) || _bandwidthMbps <= 0)
            problems.Add("the bandwidth must be more than 0 Mbit/s");
        if (!double.IsFinite(_maxDowntimeMs) || _maxDowntimeMs <= 0)
            problems.Add("the maximum downtime θ_down must be more than 0 ms");
        if (!double.IsFinite(_maxMigrationTimeMs) || _maxMigrationTimeMs <= 0)
            problems.Add("the maximum migration time θ_mig must be more than 0 ms");
        if (!double.IsFinite(_arrivalRate) || _arrivalRate < 0 || !double.IsFinite(_processingRate) || _processingRate < 0)
            problems.Add("message rates cannot be negative");
        if (!double.IsFinite(_runtimeOverheadMs) || _runtimeOverheadMs < 0)
            problems.Add("the runtime overhead T_add cannot be negative");
        return problems.Count == 0 ? null : "Nothing re-planned: " + string.Join("; ", problems) + ".";
    }

    // ---- text ----

    private string DirtyRateHelp
    {
        get
        {
            var bytes = (long)Math.Ceiling(Math.Max(_stateMb, 1e-6) * 1e6);
            var pages = ParameterSet.DirtyPagesPerSecond(bytes, Math.Clamp(_dirtyRate, 0, 1));
            var shown = PlannerText.Number(pages, "#,0");
            return $"r = {PlannerText.Number(_dirtyRate, "0.00")} ≈ {shown} page{(shown == "1" ? "" : "s")}/s dirtied (0 = hardly any, 1 = every page each second)";
        }
    }

    private string ParameterSetText(string hostClass) => Calibration(hostClass) is { } c
        ? $"Host class {c.HostClass}: calibrated {c.At.UtcDateTime:yyyy-MM-dd}, {c.Fit.Points.Count} samples"
        : "Paper testbed ([PAM] Table III)";

    private string ServiceText(Guid id) => id == Guid.Empty
        ? "Custom profile (type it below)"
        : _services.FirstOrDefault(s => s.Id.Value == id) is { } s ? $"{s.Name} ({s.TenantName})" : "";

    private static double RoundToThreeDigits(double value)
    {
        if (value <= 0 || !double.IsFinite(value))
            return value;
        var digits = Math.Max(0, 2 - (int)Math.Floor(Math.Log10(value)));
        return Math.Round(value, Math.Min(digits, 15));
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
