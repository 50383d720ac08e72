using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// A number bumped in the same transaction as every write of a kind of data (the inventory, calibrations), so that a
/// replica's cache can ask in one cheap query whether any replica has written since it read.
/// </summary>
internal static class ChangeCounter
{
    public const string Inventory = "inventory";
    public const string Calibrations = "calibrations";

    public static void Bump(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name)
    {
        using var command = new NpgsqlCommand("UPDATE change_counters SET version = version + 1 WHERE name = @name", connection, transaction);
        command.Parameters.AddWithValue("name", name);
        command.ExecuteNonQuery();
    }

    public static long Read(NpgsqlConnection connection, NpgsqlTransaction? transaction, string name)
    {
        using var command = new NpgsqlCommand("SELECT version FROM change_counters WHERE name = @name", connection, transaction);
        command.Parameters.AddWithValue("name", name);
        return (long)command.ExecuteScalar()!;
    }
}

/// <summary>
/// A value read from the database and kept until any replica writes its kind again: each read asks the change counter
/// (one cheap query) and rebuilds only when it moved, in one snapshot with the counter, so the value is never a mix of
/// two states.
/// </summary>
internal sealed class CountedCache<T>(PostgreSqlDatabase database, string counter, Func<NpgsqlConnection, NpgsqlTransaction, T> read) where T : class
{
    private Entry? _entry;

    public T Get()
    {
        using var connection = database.Open();
        var version = ChangeCounter.Read(connection, null, counter);
        if (Volatile.Read(ref _entry) is { } cached && cached.Version == version)
            return cached.Value;
        using var snapshot = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        version = ChangeCounter.Read(connection, snapshot, counter);
        var value = read(connection, snapshot);
        snapshot.Commit();
        Volatile.Write(ref _entry, new Entry(version, value));
        return value;
    }

    private sealed record Entry(long Version, T Value);
}
