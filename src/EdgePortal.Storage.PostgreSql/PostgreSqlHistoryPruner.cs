using EdgePortal.Core.Domain;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>Deletes the oldest history of a kind by its time index, one bounded statement per call.</summary>
internal sealed class PostgreSqlHistoryPruner(PostgreSqlDatabase database) : IHistoryPruner
{
    public int Prune(HistoryKind kind, DateTimeOffset olderThan, int max)
    {
        if (max <= 0)
            return 0;
        var (table, ticks, extra) = kind switch
        {
            HistoryKind.Migrations => ("migrations", "created_ticks", $" AND state NOT IN {PostgreSqlMigrationRepository.UnfinishedSql}"),
            HistoryKind.ScheduleRuns => ("schedule_runs", "at_ticks", ""),
            HistoryKind.Decisions => ("automation_decisions", "at_ticks", ""),
            HistoryKind.Audit => ("audit", "at_ticks", ""),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown kind of history."),
        };
        using var connection = database.Open();
        using var command = new NpgsqlCommand(
            $"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {ticks} < @before{extra} ORDER BY {ticks} LIMIT @max)", connection);
        command.Parameters.AddWithValue("before", olderThan.UtcTicks);
        command.Parameters.AddWithValue("max", (long)max);
        return command.ExecuteNonQuery();
    }
}
