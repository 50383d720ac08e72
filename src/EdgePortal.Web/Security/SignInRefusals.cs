using EdgePortal.Core.Security;

namespace EdgePortal.Web.Security;

/// <summary>
/// Audits refused sign-ins without letting an attacker flood the log: per account and client address, the first
/// <see cref="PerSourceInWindow"/> refusals of a <see cref="Window"/> are written, then one entry says that more are only
/// counted, and the next entry written for that source says how many were left out; across all sources at most
/// <see cref="PerMinute"/> entries a minute. The seam for the rate-limited refusal auditor of the audit work (issue 14 item 9):
/// the sign-in endpoint and single sign-on call only <see cref="Refused"/>.
/// </summary>
public sealed class SignInRefusals(AuditTrail audit, TimeProvider clock)
{
    public const int PerSourceInWindow = 5;
    public const int PerMinute = 100;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private const int MaxSources = 10_000;

    private readonly Dictionary<string, Source> _sources = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private DateTimeOffset _minute;
    private int _inMinute;
    private int _droppedGlobally;

    private sealed class Source
    {
        public DateTimeOffset WindowStart;
        public int Written;
        public int Suppressed;
        public int SuppressedBefore;
    }

    /// <param name="account">The account named (as typed; clipped by the audit trail).</param>
    /// <param name="address">The client's address.</param>
    /// <param name="action">One of the <see cref="AuditActions"/> login refusals.</param>
    /// <param name="detail">Why it was refused.</param>
    public void Refused(string account, string address, string action, string detail)
    {
        var now = clock.GetUtcNow();
        string? text;
        lock (_gate)
            text = Admit($"{AccountNames.Normalize(account)}|{address}", now, detail);
        if (text is not null)
            audit.Record(account, action, $"user {account}", $"{text} (from {address})", succeeded: false);
    }

    /// <summary>The detail to write now, or null when this refusal is only counted.</summary>
    private string? Admit(string key, DateTimeOffset now, string detail)
    {
        if (now - _minute >= TimeSpan.FromMinutes(1))
            (_minute, _inMinute) = (now, 0);
        if (_sources.Count >= MaxSources)
            foreach (var stale in _sources.Where(s => now - s.Value.WindowStart >= Window).Select(s => s.Key).ToList())
                _sources.Remove(stale);
        if (!_sources.TryGetValue(key, out var source) || now - source.WindowStart >= Window)
        {
            if (source is null && _sources.Count >= MaxSources)
            {
                // Memory stays bounded however many sources an attacker invents: these are only counted.
                _droppedGlobally++;
                return null;
            }
            source = new Source { WindowStart = now, SuppressedBefore = source?.Suppressed ?? 0 };
            _sources[key] = source;
        }
        if (_inMinute >= PerMinute)
        {
            _droppedGlobally++;
            return null;
        }
        if (source.Written > PerSourceInWindow)
        {
            source.Suppressed++;
            return null;
        }
        _inMinute++;
        source.Written++;
        var notes = new List<string>();
        if (source.SuppressedBefore > 0)
        {
            notes.Add($"{source.SuppressedBefore} more refusals of this source were counted, not logged, in the window before");
            source.SuppressedBefore = 0;
        }
        if (_droppedGlobally > 0)
        {
            notes.Add($"{_droppedGlobally} refusals were dropped by the log's limit of {PerMinute} a minute");
            _droppedGlobally = 0;
        }
        if (source.Written > PerSourceInWindow)
            return $"{detail}; more than {PerSourceInWindow} refusals of this source in {Window.TotalMinutes:0} minutes: further ones are counted, not logged, until {source.WindowStart + Window:u}"
                + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
        return notes.Count > 0 ? $"{detail}; {string.Join("; ", notes)}" : detail;
    }
}
