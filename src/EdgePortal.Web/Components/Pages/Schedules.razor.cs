using EdgePortal.Web.Components.Shared;
using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Scheduling;
using EdgePortal.Web.Scheduling;
using EdgePortal.Web.UseCases;
using EdgePortal.Web.UseCases.Schedules;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace EdgePortal.Web.Components.Pages;

/// <summary>One schedule as the list shows it.</summary>
public sealed record ScheduleRowViewModel
{
    public required ScheduleId Id { get; init; }
    public required string Name { get; init; }
    public required string When { get; init; }
    public required string Target { get; init; }
    public required string TimeZone { get; init; }
    public required DateTimeOffset? NextFire { get; init; }
    public required MisfirePolicy Misfire { get; init; }
    public required bool RespectMaintenanceWindows { get; init; }
    public required bool Paused { get; init; }
}

/// <summary>
/// Schedules: the form (with a cron helper and the next 5 fire times as you type), the list with pause, resume,
/// run now, edit and delete, and a schedule's run history. Runs and changes arrive live from the automation stream.
/// </summary>
public sealed partial class Schedules : IAsyncDisposable
{
    internal static readonly (string Label, string Cron)[] Presets =
    [
        ("Every day at 02:00", "0 0 2 * * ?"),
        ("Every Sunday at 03:30", "0 30 3 ? * SUN"),
        ("Weekdays at 22:00", "0 0 22 ? * MON-FRI"),
        ("Every hour", "0 0 * * * ?"),
        ("Every 15 minutes", "0 0/15 * * * ?"),
        ("First day of the month at 04:00", "0 0 4 1 * ?"),
    ];

    private LiveFeed? _feed;
    private ScheduleDraft _draft = new();
    private Schedule? _editing;
    private Dictionary<string, string> _errors = [];
    private List<ScheduleRowViewModel> _rows = [];
    private List<ServiceInstance> _services = [];
    private List<EdgeNode> _nodes = [];
    private IReadOnlyList<DateTimeOffset> _preview = [];
    private string? _previewNote;
    private string? _preset;
    private string? _runAtText;
    private Schedule? _runsOf;
    private IReadOnlyList<ScheduleRun> _runs = [];

    [Inject] private IScheduleRepository Repository { get; set; } = null!;
    [Inject] private ScheduleRegistry Registry { get; set; } = null!;
    [Inject] private IScheduleCalendar Calendar { get; set; } = null!;
    [Inject] private IInventoryRepository Inventory { get; set; } = null!;
    [Inject] private IAutomationEventStream Events { get; set; } = null!;
    [Inject] private TimeProvider Clock { get; set; } = null!;
    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private Security.CurrentTenant CurrentTenant { get; set; } = null!;
    [Inject] private ScheduleAccess Access { get; set; } = null!;
    [Inject] private CreateSchedule Create { get; set; } = null!;
    [Inject] private UpdateSchedule Update { get; set; } = null!;
    [Inject] private PauseSchedule Pause { get; set; } = null!;
    [Inject] private ResumeSchedule Resume { get; set; } = null!;
    [Inject] private RunScheduleNow RunNow { get; set; } = null!;
    [Inject] private DeleteSchedule Delete { get; set; } = null!;
    [Inject] private IOptionsMonitor<Limits.LimitsOptions> Limits { get; set; } = null!;

    /// <summary>A tenant admin sees and edits its own tenant's schedules, over its own services, and cannot drain nodes.</summary>
    private Security.TenantScope _scope = null!;

    private bool Sees(Schedule s) => ScheduleAccess.Sees(_scope, s);

    /// <summary>A viewer (or tenant operator) reads the schedules and their history; TenantAdmin+ creates and changes them.</summary>
    private bool CanEdit => _scope?.May(Security.PortalPolicies.TenantAdmin) == true;

    protected override async Task OnInitializedAsync()
    {
        _scope = await CurrentTenant.GetAsync();
        _services = [.. Inventory.Services(_scope.Tenant)];
        _nodes = _scope.IsProvider ? [.. Inventory.Topology().Nodes] : [];
        _feed = LiveFeed.Start(token => Events.Subscribe(token), Load, Apply, _ => { });
        NewDraft();
        _initialised = true;
    }

    private bool _initialised;

    /// <summary>The editor takes input only in the live circuit, once the page has set up its draft.</summary>
    private bool EditorReady => _initialised && RendererInfo.IsInteractive;

    private Task Apply(AutomationEvent e, CancellationToken cancellationToken) => e is ScheduleRunRecorded or ScheduleChanged
        ? InvokeAsync(() =>
        {
            Load();
            StateHasChanged();
        })
        : Task.CompletedTask;

    private void Load()
    {
        var services = Inventory.Services().ToDictionary(s => s.Id, s => s.Name);
        var nodes = Inventory.Nodes().ToDictionary(n => n.Id, n => n.Name);
        _rows = [.. Repository.List().Where(Sees).Select(s => new ScheduleRowViewModel
        {
            Id = s.Id,
            Name = s.Name,
            When = s.Kind == ScheduleKind.Cron ? $"{s.Cron} ({s.TimeZone})" : $"once, {Local(s.RunAt!.Value, s.TimeZone)}",
            Target = s.Target.Kind switch
            {
                ScheduleTargetKind.Service => services.GetValueOrDefault(s.Target.ServiceId!.Value, "a deleted service"),
                ScheduleTargetKind.LabelSelector => $"labels {ScheduleTarget.FormatLabels(s.Target.Labels!)}",
                _ => $"drain {nodes.GetValueOrDefault(s.Target.NodeId!.Value, "a deleted node")}",
            },
            TimeZone = s.TimeZone,
            NextFire = Registry.NextFireTimes(s, 1).FirstOrDefault() is var n && n != default ? n : null,
            Misfire = s.Misfire,
            RespectMaintenanceWindows = s.RespectMaintenanceWindows,
            Paused = s.Paused,
        })];
        if (_runsOf is not null)
        {
            _runsOf = Repository.Find(_runsOf.Id);
            _runs = _runsOf is null ? [] : Repository.Runs(_runsOf.Id);
        }
    }

    private void NewDraft()
    {
        _editing = null;
        _errors = [];
        _draft = new ScheduleDraft { Name = "", Cron = Presets[0].Cron, TimeZone = "Europe/Rome", ServiceId = _services.FirstOrDefault()?.Id.Value };
        _preset = Presets[0].Cron;
        _runAtText = null;
        UpdatePreview();
    }

    private void Edit(ScheduleId id)
    {
        if (Access.Find(_scope, id) is not { } schedule || !CanEdit)
            return;
        _editing = schedule;
        _errors = [];
        _draft = ScheduleDraft.From(schedule);
        _preset = Presets.FirstOrDefault(p => p.Cron == schedule.Cron).Cron;
        _runAtText = schedule.RunAt is { } at ? Local(at, schedule.TimeZone) : null;
        UpdatePreview();
    }

    private void SetKind(ScheduleKind kind)
    {
        _draft.Kind = kind;
        UpdatePreview();
    }

    private void SetCron(string cron)
    {
        _draft.Cron = cron;
        _preset = Presets.FirstOrDefault(p => p.Cron == cron?.Trim()).Cron;
        UpdatePreview();
    }

    private void UsePreset(string cron)
    {
        _preset = cron;
        _draft.Cron = cron;
        UpdatePreview();
    }

    private void SetTimeZone(string zone)
    {
        _draft.TimeZone = zone;
        UpdatePreview();
    }

    private void SetRunAt(string text)
    {
        _runAtText = text;
        _errors.Remove("runAt");
        _draft.RunAt = null;
        if (string.IsNullOrWhiteSpace(text))
            return;
        if (!DateTime.TryParseExact(text.Trim(), "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
            _errors["runAt"] = $"'{text}' is not a time as yyyy-MM-dd HH:mm.";
        else if (Calendar.ValidateTimeZone(_draft.TimeZone) is null)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(_draft.TimeZone!.Trim());
            _draft.RunAt = new DateTimeOffset(local, zone.GetUtcOffset(local));
        }
        UpdatePreview();
    }

    /// <summary>The next 5 fire times as the form stands, and the cron and time zone errors as you type.</summary>
    private void UpdatePreview()
    {
        _preview = [];
        _previewNote = null;
        _errors.Remove("cron");
        _errors.Remove("timeZone");
        if (Calendar.ValidateTimeZone(_draft.TimeZone) is { } tzError)
            _errors["timeZone"] = tzError;
        if (_draft.Kind == ScheduleKind.Cron)
        {
            if (ScheduleDraft.CronProblem(Calendar, _draft.Cron, _draft.TimeZone, Clock.GetUtcNow(), Limits.CurrentValue.MinCronInterval) is { } cronError)
                _errors["cron"] = cronError;
            else if (!_errors.ContainsKey("timeZone"))
                _preview = Calendar.NextFireTimes(_draft.Cron!, _draft.TimeZone!, Clock.GetUtcNow(), 5);
            _previewNote = _errors.ContainsKey("cron") || _errors.ContainsKey("timeZone") ? "Fix the expression or the time zone to see when it fires." : "It never fires.";
        }
        else
        {
            _preview = _draft.RunAt is { } at && at > Clock.GetUtcNow() ? [at] : [];
            _previewNote = "Give a time in the future.";
        }
    }

    private async Task SaveAsync()
    {
        if (!CanEdit)
            return;
        if (_errors.ContainsKey("runAt") && _draft.Kind == ScheduleKind.OneShot)
        {
            Snackbar.Add($"Not saved: {_errors["runAt"]}", Severity.Error);
            return;
        }
        var result = _editing is null ? await Create.RunAsync(_scope, _draft) : await Update.RunAsync(_scope, _editing.Id, _draft);
        switch (result)
        {
            case UseCaseResult<Schedule>.Done done:
                Snackbar.Add($"{(_editing is null ? "Created" : "Saved")} {done.Value.Name}.", Severity.Success);
                NewDraft();
                Load();
                break;
            case UseCaseResult<Schedule>.Invalid invalid:
                _errors = new Dictionary<string, string>(invalid.Errors);
                Snackbar.Add($"Not saved: {invalid.Text}", Severity.Error);
                break;
            case UseCaseResult<Schedule>.Conflict conflict:
                Snackbar.Add($"Not saved: {conflict.Detail}", Severity.Warning);
                break;
            case UseCaseResult<Schedule>.NotFound notFound:
                Snackbar.Add(notFound.Detail, Severity.Error);
                NewDraft();
                Load();
                break;
        }
    }

    private async Task TogglePauseAsync(ScheduleId id)
    {
        if (Access.Find(_scope, id) is not { } s || !CanEdit)
            return;
        _ = s.Paused ? await Resume.RunAsync(_scope, id) : await Pause.RunAsync(_scope, id);
        Load();
    }

    private async Task RunNowAsync(ScheduleId id)
    {
        if (!CanEdit || await RunNow.RunAsync(_scope, id) is not UseCaseResult<Schedule>.Done done)
            return;
        Snackbar.Add($"{done.Value.Name} fired; its run appears in the history.", Severity.Info);
        ShowRuns(id);
    }

    private async Task DeleteAsync(ScheduleId id)
    {
        if (!CanEdit || await Delete.RunAsync(_scope, id) is not UseCaseResult<Schedule>.Done)
            return;
        if (_runsOf?.Id == id)
            _runsOf = null;
        Load();
    }

    private void ShowRuns(ScheduleId id)
    {
        _runsOf = Repository.Find(id);
        _runs = _runsOf is null ? [] : Repository.Runs(id);
    }

    private bool Has(string field) => _errors.ContainsKey(field);

    private string? Error(string field) => _errors.GetValueOrDefault(field);

    private string Local(DateTimeOffset instant) => Local(instant, Calendar.ValidateTimeZone(_draft.TimeZone) is null ? _draft.TimeZone! : "UTC");

    private static string Local(DateTimeOffset instant, string zone)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone.Trim());
        return TimeZoneInfo.ConvertTime(instant, tz).ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
    }

    private static Color OutcomeColour(ScheduleRunOutcome outcome) => outcome switch
    {
        ScheduleRunOutcome.Started => Color.Success,
        ScheduleRunOutcome.PartlyStarted or ScheduleRunOutcome.SkippedMisfire or ScheduleRunOutcome.OutsideWindows => Color.Warning,
        ScheduleRunOutcome.Failed => Color.Error,
        _ => Color.Default,
    };

    public async ValueTask DisposeAsync()
    {
        if (_feed is not null)
            await _feed.DisposeAsync();
    }
}
