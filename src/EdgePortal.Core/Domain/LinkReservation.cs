namespace EdgePortal.Core.Domain;

/// <summary>
/// The bandwidth a migration holds on one link of its path, from the time it is accepted until it ends. Stored with the
/// migration, so the ledger of every link (<see cref="Capacity.LinkLedger"/>) is rebuilt from the migrations in flight
/// after a restart, on any replica.
/// </summary>
public sealed record LinkReservation(LinkId Link, Bandwidth Bandwidth);

/// <summary>What the planner did when the residual bandwidth of the best destination's path could not meet the targets at once.</summary>
public enum CapacityChoice
{
    /// <summary>The residual bandwidth was enough: the migration starts when a slot frees.</summary>
    None,
    /// <summary>Wait until migrations in flight release enough bandwidth on the path, then meet the targets.</summary>
    Wait,
    /// <summary>Start now on what is left, and predict longer (targets may be missed).</summary>
    ReserveLess,
    /// <summary>Go to another destination whose path has the bandwidth now.</summary>
    OtherDestination,
}
