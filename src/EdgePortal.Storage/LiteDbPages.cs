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
        if (before is { } cursor)
            query = query.Where(Query.LTE("$." + ticksField, cursor.Ticks));
        return Page(query, "$." + ticksField, ticksField, before, limit, keep);
    }

    /// <summary>
    /// The same, for the rows of one owner (a tenant, a cluster, a service) through a key field that holds the owner's id
    /// followed by the row's time (<see cref="OwnerKey"/>): the key's index seeks to the owner's newest row and streams its
    /// history alone, rather than sorting all of it.
    /// </summary>
    public static List<BsonDocument> NewestFirstOf(ILiteCollection<BsonDocument> collection, string keyField, Guid owner, string ticksField, HistoryCursor? before,
        int limit, Func<BsonDocument, bool>? keep = null)
    {
        var query = collection.Query().Where(Query.Between("$." + keyField, OwnerKey(owner, 0), OwnerKey(owner, before?.Ticks ?? long.MaxValue)));
        return Page(query, "$." + keyField, ticksField, before, limit, keep);
    }

    /// <summary>An owner's id and a time as one key that sorts by owner, then time: hexadecimal digits and decimal digits only, fixed width.</summary>
    public static string OwnerKey(Guid owner, long ticks) => owner.ToString("N") + ticks.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    private static List<BsonDocument> Page(ILiteQueryable<BsonDocument> query, string orderBy, string ticksField, HistoryCursor? before, int limit,
        Func<BsonDocument, bool>? keep)
    {
        if (limit <= 0)
            return [];
        var rows = new List<(HistoryCursor Key, BsonDocument Document)>();
        foreach (var document in query.OrderByDescending(orderBy).ToEnumerable())
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
