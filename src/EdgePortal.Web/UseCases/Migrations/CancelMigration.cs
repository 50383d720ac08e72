using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Core.Security;
using EdgePortal.Web.Security;

namespace EdgePortal.Web.UseCases.Migrations;

/// <summary>A cancelled migration as it stands right after the request, and how the cancel went (at once, or rolling back).</summary>
public sealed record CancelledMigration(Migration Migration, CancelOutcome Outcome);

/// <summary>
/// Cancels a migration on someone's behalf (the migration page, <c>POST /api/v1/migrations/{id}/cancel</c>): a queued one at
/// once, a running one by rolling it back (on the replica that drives it). Every attempt on a migration the principal sees is audited (<c>migration.cancel</c>).
/// </summary>
public sealed class CancelMigration(MigrationEngine engine, IMigrationRepository migrations, AuditTrail audit)
{
    public UseCaseResult<CancelledMigration> Run(TenantScope scope, MigrationId id)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (migrations.Find(id) is not { } migration || !scope.Sees(migration.TenantId))
            return new UseCaseResult<CancelledMigration>.NotFound($"No migration has id {id}.");
        var outcome = engine.Cancel(id, $"Cancelled by {scope.Actor}.");
        audit.Record(scope, AuditActions.Cancel, $"migration {id} of {migration.ServiceName}", outcome.ToString(), migration.TenantId,
            succeeded: outcome is CancelOutcome.Cancelled or CancelOutcome.RollingBack or CancelOutcome.Forwarded);
        return outcome switch
        {
            CancelOutcome.Cancelled or CancelOutcome.RollingBack or CancelOutcome.Forwarded => new UseCaseResult<CancelledMigration>.Done(
                new CancelledMigration(migrations.Find(id) ?? migration, outcome)),
            CancelOutcome.OnlyForward => new UseCaseResult<CancelledMigration>.Conflict("Only forward",
                $"Migration {id} is a post-copy whose service already runs at the destination: there is no way back, so it finishes its page-in.",
                new Dictionary<string, object?> { ["migrationId"] = id.Value }),
            CancelOutcome.AlreadyFinished => new UseCaseResult<CancelledMigration>.Conflict("Nothing to cancel",
                (migrations.Find(id)?.State ?? migration.State) is var state && state == MigrationState.Running
                    ? $"Migration {id} is Running on another replica, which could not be reached; try again."
                    : $"Migration {id} is {state}: it has finished or is already rolling back.",
                new Dictionary<string, object?> { ["migrationId"] = id.Value }),
            _ => new UseCaseResult<CancelledMigration>.NotFound($"No migration has id {id}."),
        };
    }
}
