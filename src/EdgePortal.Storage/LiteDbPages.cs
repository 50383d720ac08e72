using EdgePortal.Core.Domain;
using LiteDB;

namespace EdgePortal.Storage;

/// <summary>
/// Newest-first pages over a collection with a numeric time field (UTC ticks) and Guid ids, by keyset: the query seeks
/// to the cursor's time through the field's index and streams from there, so a page costs the same at the head of a
/// year of history as at its tail. Rows that share a time are ordered by id (<see cref="HistoryCursor"/>'s order), which
/// LiteDB cannot sort by, so the tie group at a page's edge is read whole and ordered here.
/// </summary>
internal static class LiteDbPages
{
    public static List<BsonDocument> NewestFirst(ILiteQueryable<BsonDocument> query, string ticksField, HistoryCursor? before, int limit,
        Func<BsonDocument, bool>? keep = null)
    {
        if (limit <= 0)
            return [];
        if (before is { } cursor)
            query = query.Where(Query.LTE("$." + ticksField, cursor.Ticks));
        var rows = new List<(HistoryCursor Key, BsonDocument Document)>();
        foreach (var document in query.OrderByDescending("$." + ticksField).ToEnumerable())
        {
            var key = new HistoryCursor(document[ticksField].AsInt64, document["_id"].AsGuid);
            if (rows.Count >= limit && key.Ticks != rows[^1].Key.Ticks)
                break;
            if (before is { } c && !c.Precedes(key))
                continue;
            if (keep is not null && !keep(document))
                continue;
            rows.Add((key, document));
        }
        rows.Sort((a, b) => b.Key.CompareTo(a.Key));
        return rows.Take(limit).Select(r => r.Document).ToList();
    }
}
