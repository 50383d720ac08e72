using EdgePortal.Core.Calibration;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// Calibrations per host class, every one kept. The newest per class is cached, as in LiteDB, and dropped when the
/// calibrations' change counter shows that any replica saved one.
/// </summary>
internal sealed class PostgreSqlCalibrationRepository(PostgreSqlDatabase database) : ICalibrationRepository
{
    private readonly CountedCache<Dictionary<string, HostCalibration>> _latest = new(database, ChangeCounter.Calibrations, (connection, snapshot) =>
        Documents.Query<HostCalibration>(connection, snapshot,
                "SELECT DISTINCT ON (host_class_key) doc FROM calibrations ORDER BY host_class_key, at_ticks DESC, id DESC")
            .ToDictionary(c => Key(c.HostClass), StringComparer.Ordinal));

    public void Save(HostCalibration calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        database.InTransaction((connection, transaction) =>
        {
            Documents.Upsert(connection, transaction, "calibrations", calibration.Id, calibration,
                new Documents.Column("host_class_key", Key(calibration.HostClass)), new Documents.Column("at_ticks", calibration.At.UtcTicks));
            ChangeCounter.Bump(connection, transaction, ChangeCounter.Calibrations);
        });
    }

    public HostCalibration? Latest(string hostClass) => Latest().GetValueOrDefault(Key(hostClass));

    public IReadOnlyList<HostCalibration> LatestPerHostClass() => Latest().Values.OrderBy(c => c.HostClass, StringComparer.OrdinalIgnoreCase).ToList();

    public IReadOnlyList<HostCalibration> List(int limit = 100)
    {
        var parameters = new List<NpgsqlParameter>();
        return database.Query<HostCalibration>(Documents.NewestFirst("calibrations", "at_ticks", [], parameters, null, limit), [.. parameters]);
    }

    private Dictionary<string, HostCalibration> Latest() => _latest.Get();

    private static string Key(string hostClass) => hostClass.Trim().ToLowerInvariant();
}
