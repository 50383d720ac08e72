using Microsoft.Extensions.Options;

namespace EdgePortal.Web.Security;

/// <summary>
/// One sign-in attempt as the throttle sees it: the account named (normalised), the client address, and the trusted-browser
/// token this browser holds for that account, if any (<see cref="TrustedBrowser"/>).
/// </summary>
public sealed record SignInAttempt(string Account, string Address, string? Device)
{
    /// <summary>
    /// The counters the attempt is held to. A browser that signed in to this account before counts only its own failures, so a
    /// stranger who hammers the account (or shares the address, as everyone behind one proxy does) cannot lock its owner out;
    /// every other client counts against the account and against its address.
    /// </summary>
    public IReadOnlyList<string> Keys => Device is { } device
        ? [$"device:{Account}:{device}"]
        : [$"account:{Account}", $"address:{Address}"];
}

/// <summary>
/// Progressive delays on failed sign-ins instead of a hard lock: after a few free failures, each further attempt of the same
/// account (or trusted browser, or address) must wait twice as long as the last, up to <see cref="SecurityOptions.SignInMaxDelaySeconds"/>.
/// An attempt that comes too early is refused without its password being checked (otherwise the answer would tell a right
/// guess from a wrong one at full speed), and it does not push the wait further out, so the owner of an account can always
/// get in once the wait has passed. A success clears the account's and the browser's counters, never the address's.
/// Counters are kept in memory per replica: with N replicas behind one address an attacker gets at most N times the rate.
/// </summary>
public sealed class SignInThrottle(IOptionsMonitor<SecurityOptions> options, TimeProvider clock)
{
    /// <summary>Bounds the memory an attacker can make the throttle use by naming many accounts.</summary>
    public const int MaxCounters = 100_000;

    private readonly Dictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private readonly record struct Counter(int Failures, DateTimeOffset LastFailure);

    /// <summary>How long <paramref name="attempt"/> must still wait (null: it may be checked now).</summary>
    public TimeSpan? Wait(SignInAttempt attempt)
    {
        var now = clock.GetUtcNow();
        var settings = options.CurrentValue;
        TimeSpan? longest = null;
        lock (_gate)
        {
            foreach (var key in attempt.Keys)
            {
                if (!_counters.TryGetValue(key, out var counter))
                    continue;
                var left = counter.LastFailure + Delay(counter.Failures, FreeFailures(key, settings), settings) - now;
                if (left > TimeSpan.Zero && (longest is null || left > longest))
                    longest = left;
            }
        }
        return longest;
    }

    /// <summary>A checked attempt failed: every counter it is held to grows.</summary>
    public void Failed(SignInAttempt attempt)
    {
        var now = clock.GetUtcNow();
        var settings = options.CurrentValue;
        lock (_gate)
        {
            if (_counters.Count >= MaxCounters)
                Prune(now, settings);
            foreach (var key in attempt.Keys)
            {
                var failures = _counters.TryGetValue(key, out var counter) && !Forgotten(counter, now, settings) ? counter.Failures + 1 : 1;
                _counters[key] = new Counter(failures, now);
            }
        }
    }

    /// <summary>A checked attempt succeeded: the account's (or browser's) counter is cleared; the address's stays.</summary>
    public void Succeeded(SignInAttempt attempt)
    {
        lock (_gate)
        {
            foreach (var key in attempt.Keys.Where(k => !k.StartsWith("address:", StringComparison.Ordinal)))
                _counters.Remove(key);
        }
    }

    /// <summary>The wait after <paramref name="failures"/> failures: none for the free ones, then 1 s, 2 s, 4 s… up to the maximum.</summary>
    public static TimeSpan Delay(int failures, int free, SecurityOptions settings)
    {
        if (failures < free)
            return TimeSpan.Zero;
        var exponent = Math.Min(failures - free, 30);
        return TimeSpan.FromSeconds(Math.Min(Math.Pow(2, exponent), settings.SignInMaxDelaySeconds));
    }

    private static int FreeFailures(string key, SecurityOptions settings)
        => key.StartsWith("address:", StringComparison.Ordinal) ? settings.SignInFreeFailuresPerAddress : settings.SignInFreeFailures;

    /// <summary>A counter quiet for a long time (ten maximum delays, at least 15 minutes) starts again from nothing.</summary>
    private static bool Forgotten(Counter counter, DateTimeOffset now, SecurityOptions settings)
        => now - counter.LastFailure > TimeSpan.FromSeconds(Math.Max(900, 10 * settings.SignInMaxDelaySeconds));

    private void Prune(DateTimeOffset now, SecurityOptions settings)
    {
        foreach (var (key, counter) in _counters.ToList())
            if (Forgotten(counter, now, settings))
                _counters.Remove(key);
        // Still full: the oldest tenth goes, accounts before addresses (an attacker naming 100 000 accounts from one address only
        // shortens the delays of accounts, not of his address).
        if (_counters.Count >= MaxCounters)
            foreach (var key in _counters.OrderBy(c => c.Key.StartsWith("address:", StringComparison.Ordinal)).ThenBy(c => c.Value.LastFailure)
                         .Take(MaxCounters / 10).Select(c => c.Key).ToList())
                _counters.Remove(key);
    }
}
