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
