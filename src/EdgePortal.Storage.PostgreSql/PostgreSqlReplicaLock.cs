using EdgePortal.Core.Domain;
using Npgsql;

namespace EdgePortal.Storage.PostgreSql;

/// <summary>A session advisory lock, held on a connection of its own until disposed, keyed by a hash of the name.</summary>
internal sealed class PostgreSqlReplicaLock(PostgreSqlDatabase database) : IReplicaLock
{
    public IDisposable Acquire(string name, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var connection = database.Open();
        try
        {
            using (var wait = new NpgsqlCommand($"SET lock_timeout = {(long)Math.Max(1, timeout.TotalMilliseconds)}", connection))
                wait.ExecuteNonQuery();
            using var command = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended(@name, 0))", connection);
            command.Parameters.AddWithValue("name", "edgeportal:" + name);
            command.ExecuteNonQuery();
            return new Held(connection, name);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            connection.Dispose();
            throw new TimeoutException($"The replica lock '{name}' was not free within {timeout.TotalSeconds:0} s.", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Closing the session releases its advisory locks; the pool then resets it (DISCARD ALL) before reuse.</summary>
    private sealed class Held(NpgsqlConnection connection, string name) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended(@name, 0))", connection);
                command.Parameters.AddWithValue("name", "edgeportal:" + name);
                command.ExecuteNonQuery();
            }
            finally
            {
                connection.Dispose();
            }
        }
    }
}
