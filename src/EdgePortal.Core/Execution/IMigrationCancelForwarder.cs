using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Execution;

/// <summary>
/// Carries a cancel to the replica that drives a migration (the owner of its lease), where
/// <see cref="MigrationEngine.Cancel"/> rolls it back. Absent in a single process, where every migration runs locally.
/// </summary>
public interface IMigrationCancelForwarder
{
    /// <summary>Sends the cancel to <paramref name="owner"/>; false when no replica received it (Redis down, the owner gone).</summary>
    bool Forward(MigrationId id, string owner, string reason);
}
