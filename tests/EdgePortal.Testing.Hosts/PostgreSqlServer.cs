using Npgsql;

namespace EdgePortal.Testing.Hosts;

/// <summary>
/// A throwaway PostgreSQL server (Debian's <c>postgresql</c>, installed by ./test.sh) in a temp folder on a free port,
/// trusting local connections: <c>initdb</c>, <c>pg_ctl start</c>, and at the end <c>pg_ctl stop -m immediate</c> and
/// the folder deleted. As root it runs as the <c>postgres</c> user, which PostgreSQL requires.
/// </summary>
public sealed class PostgreSqlServer : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _folder;
    private readonly string _bin;
    private int _databases;

    private PostgreSqlServer(string folder, string bin, int port)
    {
        _folder = folder;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The server's own <c>postgres</c> database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database)
        => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=50;Timeout=30;Command Timeout=120";

    public static async Task<PostgreSqlServer> StartAsync()
    {
        var bin = FindBin();
        var folder = Directory.CreateTempSubdirectory("edgeportal-pg-").FullName;
        if (Commands.IsRoot)
            await Commands.RunAsync("chown", ["postgres:postgres", folder], CommandTimeout);
        var server = new PostgreSqlServer(folder, bin, FreePort.Next());
        try
        {
            var data = Path.Combine(folder, "data");
            await Commands.RunAsAsync("postgres", Path.Combine(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"], CommandTimeout);
            // fsync off: a throwaway server whose data nobody needs after the run; max_connections for several portals.
            await Commands.RunAsAsync("postgres", Path.Combine(bin, "pg_ctl"),
                ["-D", data, "-o", $"-p {server.Port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                 "-l", Path.Combine(folder, "log"), "-w", "-t", "60", "start"], CommandTimeout);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopNow();
        return server;
    }

    /// <summary>A new database on this server (empty, or a copy of <paramref name="template"/>); its connection string.</summary>
    public string CreateDatabase(string? template = null)
    {
        var name = $"edgeportal_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        Admin($"CREATE DATABASE {name}{(template is null ? "" : " TEMPLATE " + template)}");
        return ConnectionString(name);
    }

    /// <summary>Makes the database of <paramref name="connectionString"/> a template others are copied from (a migrated schema, copied in milliseconds).</summary>
    public string MakeTemplate(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        Admin($"ALTER DATABASE {name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
        return name;
    }

    /// <summary>Runs one statement as the server's superuser, in its own <c>postgres</c> database.</summary>
    public void Admin(string sql)
    {
        using var connection = new NpgsqlConnection(AdminConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public string Log => File.Exists(Path.Combine(_folder, "log")) ? File.ReadAllText(Path.Combine(_folder, "log")) : "";

    private void StopNow()
    {
        try
        {
            Commands.RunAsAsync("postgres", Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"], CommandTimeout)
                .GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Not running (never started, or stopped already).
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await Task.Run(StopNow);
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string FindBin()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run ./test.sh as root once, or apt-get install postgresql.");
    }
}
