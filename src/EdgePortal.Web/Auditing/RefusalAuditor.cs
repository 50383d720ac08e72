using System.Globalization;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;
using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Auditing;

/// <summary>
/// Audits refusals (refused sign-ins, refused API keys) without letting an attacker flood the log: per kind of refusal
/// (its audit action) and source (an address, an account), the first <see cref="AuditOptions.RefusalsPerSourceAndWindow"/>
/// in a window are recorded one by one, and the rest only counted; when the window ends, one entry says "and K more". At
/// most <see cref="AuditOptions.MaxRefusalSources"/> sources are tracked; refusals from more share one count, so memory is
/// bounded too. <see cref="RefusalSummaries"/> writes the summaries of ended windows even when no further refusal comes.
/// Each replica counts its own refusals.
/// </summary>
public sealed class RefusalAuditor(AuditTrail audit, TimeProvider clock, IOptionsMonitor<AuditOptions> options)
{
    /// <summary>The source under which refusals from sources beyond the tracked number are counted together.</summary>
    public const string OtherSources = "(other sources)";

    private readonly Dictionary<(string Action, string Source), Window> _windows = [];
    private readonly Lock _gate = new();

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;
        public int Recorded { get; set; }
        public long Counted { get; set; }
        public Guid? Tenant { get; set; }
    }

    /// <summary>
    /// A refusal of kind <paramref name="action"/> from <paramref name="source"/>: recorded (true) unless the source used up
    /// its entries for the window, then counted for the summary (false).
    /// </summary>
    public bool Refused(string action, string source, string actor, string target, string detail = "", Guid? tenant = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(action);
        var settings = options.CurrentValue;
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            var key = (action, string.IsNullOrEmpty(source) ? "unknown" : source);
            if (_windows.TryGetValue(key, out var window) && now - window.Start >= settings.RefusalWindow)
            {
                Summarise(key, window, now);
                _windows.Remove(key);
                window = null;
            }
            if (window is null)
            {
                if (_windows.Count >= settings.MaxRefusalSources)
                    key = (action, OtherSources);
                if (!_windows.TryGetValue(key, out window))
                    _windows[key] = window = new Window(now);
            }
            if (window.Recorded < settings.RefusalsPerSourceAndWindow && key.Item2 != OtherSources)
            {
                window.Recorded++;
                audit.Record(actor, action, target, detail, tenant, succeeded: false);
                return true;
            }
            window.Counted++;
            window.Tenant ??= tenant;
            return false;
        }
    }

    /// <summary>Writes a summary for every window that has ended (all of them when <paramref name="all"/>); returns how many it wrote.</summary>
    public int Flush(bool all = false)
    {
        var now = clock.GetUtcNow();
        var window = options.CurrentValue.RefusalWindow;
        var written = 0;
        lock (_gate)
        {
            foreach (var (key, state) in _windows.Where(w => all || now - w.Value.Start >= window).ToList())
            {
                written += Summarise(key, state, now) ? 1 : 0;
                _windows.Remove(key);
            }
        }
        return written;
    }

    private bool Summarise((string Action, string Source) key, Window window, DateTimeOffset now)
    {
        if (window.Counted == 0)
            return false;
        audit.Record(key.Source, key.Action, $"refusals from {key.Source}",
            string.Create(CultureInfo.InvariantCulture,
                $"and {window.Counted} more {key.Action} refusal{(window.Counted == 1 ? "" : "s")} from {key.Source} between {window.Start:u} and {now:u}, not recorded one by one"),
            window.Tenant, succeeded: false);
        return true;
    }
}

/// <summary>Writes the refusal summaries of ended windows as time passes, and whatever is counted at shutdown.</summary>
public sealed class RefusalSummaries(RefusalAuditor refusals, TimeProvider clock, IOptionsMonitor<AuditOptions> options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.CurrentValue.RefusalWindow / 4;
        using var timer = new PeriodicTimer(period < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : period, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                refusals.Flush();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        refusals.Flush(all: true);
    }
}

public static class AuditHosting
{
    /// <summary>The refusal auditor and its summaries, on <c>EdgePortal:Audit</c>.</summary>
    public static IServiceCollection AddEdgePortalAudit(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        services.AddSingleton<RefusalAuditor>();
        services.AddHostedService<RefusalSummaries>();
        return services;
    }
}
