using System.Text.Json;
using EdgePortal.Core.Domain;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>
/// The portal's PostgreSQL database, shared by every replica. Opening it brings the schema to
/// <see cref="PostgreSqlSchema.CurrentVersion"/> under an advisory lock (one replica migrates, the others wait and find
/// it done) or refuses a database written by a newer EdgePortal.
/// </summary>
/// <remarks>
/// Aggregates are stored as <c>jsonb</c> documents in the domain's JSON shape (<see cref="DomainJson"/>), the same shape
/// LiteDB holds: one serializer for both stores, and an aggregate that gains a field (step artifacts, a link ledger)
/// needs no schema change. What is filtered, ordered, leased or made unique is also a real column beside the document,
/// written in the same statement, and indexed.
/// </remarks>
public sealed class PostgreSqlDatabase : IDisposable
{
    public PostgreSqlDatabase(string connectionString, ILogger<PostgreSqlDatabase> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Target = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        DataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            PostgreSqlSchema.Migrate(DataSource, Target, logger);
        }
        catch
        {
            DataSource.Dispose();
            throw;
        }
    }

    /// <summary>Host, port and database, for messages (never the password).</summary>
    public string Target { get; }

    public NpgsqlDataSource DataSource { get; }

    public NpgsqlConnection Open() => DataSource.OpenConnection();

    /// <summary>Runs <paramref name="work"/> in one transaction: everything it wrote lands, or nothing does.</summary>
    public T InTransaction<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work, System.Data.IsolationLevel isolation = System.Data.IsolationLevel.ReadCommitted)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var connection = Open();
        using var transaction = connection.BeginTransaction(isolation);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    public void InTransaction(Action<NpgsqlConnection, NpgsqlTransaction> work)
        => InTransaction((c, t) => { work(c, t); return true; });

    /// <summary>The schema version recorded in the database (0 when none).</summary>
    public int SchemaVersion()
    {
        using var connection = Open();
        return PostgreSqlSchema.AppliedVersion(connection, null);
    }

    public void Dispose() => DataSource.Dispose();

    internal static string Json<T>(T value) => JsonSerializer.Serialize(value, DomainJson.Options);

    internal static T FromJson<T>(string json)
        => JsonSerializer.Deserialize<T>(json, DomainJson.Options) ?? throw new InvalidDataException("A stored document holds null.");

    internal static NpgsqlParameter Jsonb(string name, string json) => new(name, NpgsqlDbType.Jsonb) { Value = json };
}
