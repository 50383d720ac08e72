using EdgePortal.Core.Calibration;
using LiteDB;

namespace EdgePortal.Storage;

/// <summary>
/// Calibrations per host class, every one kept (the newest of a class is the one the planner uses). A new collection in
/// schema 3 that changes no existing document, so, like the automation's collections, it needs no upgrade step: an older
/// file simply has none, and the planner falls back to the paper's parameters.
/// </summary>
internal sealed class LiteDbCalibrationRepository(EdgeDatabase database) : ICalibrationRepository
{
    public const string Collection = "calibrations";

    /// <summary>The host class folded to lower case, so that lookups ignore case as node host classes are compared.</summary>
    public const string HostClassKey = "hostClassKey";

    private readonly Lock _gate = new();
    // Every plan asks for its source's class: the newest per class is read once and dropped on every save.
    private Dictionary<string, HostCalibration>? _latest;

    private ILiteCollection<BsonDocument> Calibrations => database.Database.GetCollection(Collection);

    public static void EnsureIndexes(ILiteDatabase database)
    {
        var calibrations = database.GetCollection(Collection);
        calibrations.EnsureIndex(HostClassKey, "$." + HostClassKey);
        calibrations.EnsureIndex(SchedulingCollections.Ticks, "$." + SchedulingCollections.Ticks);
    }

    public void Save(HostCalibration calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var document = SchedulingCollections.WithTicks(calibration, calibration.Id, calibration.At);
        document[HostClassKey] = Key(calibration.HostClass);
        lock (_gate)
        {
            Calibrations.Upsert(document);
            _latest = null;
        }
    }

    public HostCalibration? Latest(string hostClass) => Latest().GetValueOrDefault(Key(hostClass));

    public IReadOnlyList<HostCalibration> LatestPerHostClass() => Latest().Values.OrderBy(c => c.HostClass, StringComparer.OrdinalIgnoreCase).ToList();

    public IReadOnlyList<HostCalibration> List(int limit = 100)
        => LiteDbPages.NewestFirst(Calibrations.Query(), SchedulingCollections.Ticks, null, limit).Select(BsonJson.FromDocument<HostCalibration>).ToList();

    private Dictionary<string, HostCalibration> Latest()
    {
        lock (_gate)
        {
            if (_latest is { } cached)
                return cached;
            var latest = new Dictionary<string, HostCalibration>(StringComparer.Ordinal);
            foreach (var document in Calibrations.Query().OrderByDescending("$." + SchedulingCollections.Ticks).ToEnumerable())
                latest.TryAdd(document[HostClassKey].AsString, BsonJson.FromDocument<HostCalibration>(document));
            return _latest = latest;
        }
    }

    private static string Key(string hostClass) => hostClass.Trim().ToLowerInvariant();
}
