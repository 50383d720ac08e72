using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Execution;

/// <summary>Bound to <c>EdgePortal:Engine</c>: how many migrations may run at once, and how long one may take.</summary>
public sealed class EngineOptions
{
    public const string Section = "EdgePortal:Engine";

    /// <summary>Migrations in flight per cluster at most (KubeVirt's parallelMigrationsPerCluster).</summary>
    public int MaxConcurrentPerCluster { get; set; } = 5;

    /// <summary>Migrations leaving one node at most (KubeVirt's parallelOutboundMigrationsPerNode).</summary>
    public int MaxOutboundPerNode { get; set; } = 2;

    /// <summary>The most a single migration may reserve, in bit/s; 0 means no cap beyond the path's bandwidth.</summary>
    public double MaxReservedBandwidthBitsPerSecond { get; set; }

    /// <summary>
    /// Whether each migration reserves its bandwidth on every link of its path (the ledger) and plans on what the others
    /// left; false plans every migration on the whole path, as if it were alone.
    /// </summary>
    public bool LinkReservations { get; set; } = true;

    /// <summary>
    /// Whether a migration planned to wait for bandwidth (<see cref="Domain.CapacityChoice.Wait"/>) is held in the queue
    /// until its predicted start, even when a slot is free sooner: started sooner it shares the links with the
    /// reservations it was planned to follow, and both run slower than predicted. Off by default (a free slot starts it);
    /// bench/burst.sh's joint runs turn it on.
    /// </summary>
    public bool HoldUntilPredictedStart { get; set; }

    /// <summary>A migration still running after this long is aborted and rolled back.</summary>
    public TimeSpan CompletionTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a rollback may take before the migration is marked Failed for an operator.</summary>
    public TimeSpan RollbackTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a replica's claim on a migration lasts without renewal. The engine renews every third of it and scans
    /// for abandoned migrations as often, so a migration whose replica died is taken over within about 4/3 of it.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a migration queued on one replica is left to it before another replica may claim it (when the first is
    /// busy or gone). The replica that accepted it published its Queued event; starting it elsewhere at once could
    /// deliver its Started event to hub clients before that one.
    /// </summary>
    public TimeSpan HandOffDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often leases are renewed and abandoned or queued migrations of other replicas are looked for.</summary>
    public TimeSpan LeaseRenewal => LeaseDuration / 3;
}

/// <summary>Cross-field checks; each message names the key so a misconfiguration is fixed at the first read.</summary>
public sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options)
    {
        var failures = new List<string>();
        if (options.MaxConcurrentPerCluster < 1)
            failures.Add($"{EngineOptions.Section}:MaxConcurrentPerCluster must be ≥ 1 (was {options.MaxConcurrentPerCluster}).");
        if (options.MaxOutboundPerNode < 1)
            failures.Add($"{EngineOptions.Section}:MaxOutboundPerNode must be ≥ 1 (was {options.MaxOutboundPerNode}).");
        if (options.MaxOutboundPerNode > options.MaxConcurrentPerCluster)
            failures.Add($"{EngineOptions.Section}:MaxOutboundPerNode ({options.MaxOutboundPerNode}) cannot exceed {EngineOptions.Section}:MaxConcurrentPerCluster ({options.MaxConcurrentPerCluster}).");
        if (!double.IsFinite(options.MaxReservedBandwidthBitsPerSecond) || options.MaxReservedBandwidthBitsPerSecond < 0)
            failures.Add($"{EngineOptions.Section}:MaxReservedBandwidthBitsPerSecond must be ≥ 0 (0 = no cap).");
        if (options.CompletionTimeout <= TimeSpan.Zero)
            failures.Add($"{EngineOptions.Section}:CompletionTimeout must be positive.");
        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
            failures.Add($"{EngineOptions.Section}:LeaseDuration must be at least 1 second (was {options.LeaseDuration:g}).");
        if (options.HandOffDelay < TimeSpan.Zero)
            failures.Add($"{EngineOptions.Section}:HandOffDelay must not be negative (was {options.HandOffDelay:g}).");
        if (options.RollbackTimeout <= TimeSpan.Zero)
            failures.Add($"{EngineOptions.Section}:RollbackTimeout must be positive.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
