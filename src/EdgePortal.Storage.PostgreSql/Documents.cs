using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// The few statements every document table shares: a table has <c>id uuid</c>, <c>doc jsonb</c> and, where it is
/// filtered or ordered by them, columns written beside the document in the same statement.
/// </summary>
internal static class Documents
{
    /// <summary>A column written beside the document.</summary>
    public readonly record struct Column(string Name, object? Value);

    public static T? Find<T>(PostgreSqlDatabase database, string table, Guid id) where T : class
        => database.Query<T>($"SELECT doc FROM {table} WHERE id = @id", new NpgsqlParameter("id", id)).FirstOrDefault();

    public static List<T> All<T>(PostgreSqlDatabase database, string table) => database.Query<T>($"SELECT doc FROM {table}");

    public static List<T> Query<T>(this PostgreSqlDatabase database, string sql, params NpgsqlParameter[] parameters)
    {
        using var connection = database.Open();
        return Query<T>(connection, null, sql, parameters);
    }

    public static List<T> Query<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params NpgsqlParameter[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddRange(parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(PostgreSqlDatabase.FromJson<T>(reader.GetString(0)));
        return rows;
    }

    /// <summary>Inserts or replaces one document and its columns.</summary>
    public static int Upsert<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, Guid id, T value, params Column[] columns)
    {
        var names = columns.Select(c => c.Name).ToList();
        var sql = $"INSERT INTO {table} (id, doc{string.Concat(names.Select(n => ", " + n))}) VALUES (@id, @doc{string.Concat(names.Select(n => ", @" + n))}) "
            + $"ON CONFLICT (id) DO UPDATE SET doc = excluded.doc{string.Concat(names.Select(n => $", {n} = excluded.{n}"))}";
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.Add(PostgreSqlDatabase.Jsonb("doc", PostgreSqlDatabase.Json(value)));
        foreach (var column in columns)
            command.Parameters.AddWithValue(column.Name, column.Value ?? DBNull.Value);
        return command.ExecuteNonQuery();
    }

    public static void Upsert<T>(PostgreSqlDatabase database, string table, Guid id, T value, params Column[] columns)
    {
        using var connection = database.Open();
        Upsert(connection, null, table, id, value, columns);
    }

    public static bool Delete(PostgreSqlDatabase database, string table, Guid id)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand($"DELETE FROM {table} WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        return command.ExecuteNonQuery() > 0;
    }

    public static long Scalar(PostgreSqlDatabase database, string sql, params NpgsqlParameter[] parameters)
    {
        using var connection = database.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Newest first by (time, id), after <paramref name="before"/> when it continues a page; <paramref name="where"/> holds the filters.</summary>
    public static string NewestFirst(string table, string ticksColumn, List<string> where, List<NpgsqlParameter> parameters,
        Core.Domain.HistoryCursor? before, int limit)
    {
        if (before is { } cursor)
        {
            where.Add($"({ticksColumn}, id) < (@beforeTicks, @beforeId)");
            parameters.Add(new NpgsqlParameter("beforeTicks", cursor.Ticks));
            parameters.Add(new NpgsqlParameter("beforeId", cursor.Id));
        }
        parameters.Add(new NpgsqlParameter("limit", (long)Math.Max(limit, 0)));
        return $"SELECT doc FROM {table}{(where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")} ORDER BY {ticksColumn} DESC, id DESC LIMIT @limit";
    }
}
