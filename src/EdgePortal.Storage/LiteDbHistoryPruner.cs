using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

/// <summary>Deletes the oldest history of a kind through its time index, one bounded transaction per call.</summary>
internal sealed class LiteDbHistoryPruner(EdgeDatabase database) : IHistoryPruner
{
    private static readonly HashSet<string> Unfinished = [.. LiteDbMigrationRepository.UnfinishedStates.Select(s => s.ToString())];

    public int Prune(HistoryKind kind, DateTimeOffset olderThan, int max) => kind switch
    {
        HistoryKind.Migrations => Delete(Collections.Migrations, LiteDbMigrationRepository.CreatedAtTicks, olderThan, max,
            d => !Unfinished.Contains(d["state"].AsString), alsoFrom: LiteDbMigrationLeaseStore.Collection),
        HistoryKind.ScheduleRuns => Delete(SchedulingCollections.ScheduleRuns, SchedulingCollections.Ticks, olderThan, max),
        HistoryKind.Decisions => Delete(SchedulingCollections.AutomationDecisions, SchedulingCollections.Ticks, olderThan, max),
        HistoryKind.Audit => Delete(SecurityCollections.Audit, SecurityCollections.AtTicks, olderThan, max),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown kind of history."),
    };

    private int Delete(string collection, string ticksField, DateTimeOffset olderThan, int max, Func<BsonDocument, bool>? prunable = null,
        string? alsoFrom = null)
    {
        if (max <= 0)
            return 0;
        var ids = database.Database.GetCollection(collection).Query().Where(Query.LT("$." + ticksField, olderThan.UtcTicks))
            .OrderBy("$." + ticksField).ToEnumerable().Where(d => prunable is null || prunable(d)).Take(max).Select(d => d["_id"]).ToList();
        if (ids.Count == 0)
            return 0;
        database.InTransaction(db =>
        {
            db.GetCollection(collection).DeleteMany(Query.In("_id", ids));
            if (alsoFrom is not null)
                db.GetCollection(alsoFrom).DeleteMany(Query.In("_id", ids));
        });
        return ids.Count;
    }
}
