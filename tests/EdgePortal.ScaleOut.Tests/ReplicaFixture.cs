using System.Net.Http.Json;
using System.Text.Json;
using EdgePortal.Core.Domain;
using Npgsql;

namespace EdgePortal.ScaleOut.Tests;

/// <summary>
/// One throwaway PostgreSQL and one Redis server for the run; each test gets a database of its own and starts its
/// replicas (real portal processes from the build output) on it, and stops them.
/// </summary>
public sealed class ReplicaFixture : IAsyncLifetime
{
    public PostgreSqlServer PostgreSql { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        PostgreSql = await PostgreSqlServer.StartAsync();
        Redis = await RedisServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null)
            await Redis.DisposeAsync();
        if (PostgreSql is not null)
            await PostgreSql.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaFixture>
{
    public const string Name = "Replicas";
}

/// <summary>Several portal processes on one database and one Redis, as the replicated deployment runs them.</summary>
public sealed class Replicas : IAsyncDisposable
{
    private Replicas(string connectionString, string redis, string apiKey, IReadOnlyDictionary<string, string> settings)
    {
        ConnectionString = connectionString;
        RedisConfiguration = redis;
        ApiKey = apiKey;
        Settings = settings;
    }

    public List<PortalProcess> Portals { get; } = [];
    public string ConnectionString { get; }
    public string RedisConfiguration { get; }
    public string ApiKey { get; }
    private IReadOnlyDictionary<string, string> Settings { get; }

    public PortalProcess this[int index] => Portals[index];

    /// <summary>Starts <paramref name="count"/> replicas at once on a fresh database (they seed it once between them).</summary>
    public static async Task<Replicas> StartAsync(ReplicaFixture fixture, int count, IReadOnlyDictionary<string, string>? settings = null, string? redis = null)
    {
        var replicas = new Replicas(fixture.PostgreSql.CreateDatabase(), redis ?? fixture.Redis.Configuration, PortalProcess.NewApiKey(),
            settings ?? new Dictionary<string, string>());
        try
        {
            await replicas.StartMoreAsync(count);
        }
        catch
        {
            await replicas.DisposeAsync();
            throw;
        }
        return replicas;
    }

    /// <summary>Starts more replicas on the same database and Redis, all at once.</summary>
    public async Task StartMoreAsync(int count)
    {
        var environment = PortalProcessOptions.Replicated(ConnectionString, RedisConfiguration);
        foreach (var (key, value) in Settings)
            environment[key] = value;
        var options = new PortalProcessOptions { SpeedFactor = 10, ApiKey = ApiKey, Environment = environment };
        Portals.AddRange(await Task.WhenAll(Enumerable.Range(0, count).Select(_ => PortalProcess.StartAsync(options))));
    }

    /// <summary>SIGKILL for every replica: the whole deployment goes down at once, mid-whatever. Returns when the last was killed.</summary>
    public async Task<DateTimeOffset> KillAllAsync()
    {
        foreach (var portal in Portals)
            portal.Kill();
        var killed = DateTimeOffset.UtcNow;
        foreach (var portal in Portals)
            await portal.DisposeAsync();
        Portals.Clear();
        return killed;
    }

    public long Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The rows of a query as text, to say what a wait was still seeing.</summary>
    public List<string> Rows(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
        return rows;
    }

    /// <summary>Quartz's live triggers of schedules (a one-shot that fired is deleted, one skipped is left COMPLETE), and their firings in flight: empty once nothing more can happen to them.</summary>
    public List<string> ScheduleTriggers()
        => [.. Rows("SELECT 'trigger', trigger_name, trigger_state, next_fire_time FROM qrtz_triggers WHERE trigger_group = 'schedules' AND trigger_state <> 'COMPLETE'"),
            .. Rows("SELECT 'firing', trigger_name, state, instance_name FROM qrtz_fired_triggers WHERE trigger_group = 'schedules'")];

    public async ValueTask DisposeAsync()
    {
        foreach (var portal in Portals)
            await portal.DisposeAsync();
        Portals.Clear();
    }
}

/// <summary>Waiting on a condition rather than for a time: polls every 50 ms, up to a bound, and says what it waited for.</summary>
public static class Eventually
{
    public static async Task<T> HoldsAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var value = await probe();
            if (condition(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {within.TotalSeconds:0} s for {what}; last seen: {JsonSerializer.Serialize(value, DomainJson.Options)}");
            await Task.Delay(50);
        }
    }

    /// <summary>Until the wall clock passes <paramref name="instant"/>.</summary>
    public static async Task PassesAsync(DateTimeOffset instant)
    {
        while (DateTimeOffset.UtcNow < instant)
            await Task.Delay(50);
    }
}

public static class PortalApi
{
    public static async Task<T> GetAsync<T>(this PortalProcess portal, string path)
    {
        using var client = portal.ApiClient();
        return (await client.GetFromJsonAsync<T>(path, DomainJson.Options))!;
    }

    public static async Task<JsonElement> PostAsync(this PortalProcess portal, string path, object body)
    {
        using var client = portal.ApiClient();
        using var response = await client.PostAsJsonAsync(path, body, DomainJson.Options);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"POST {path} on {portal.BaseAddress} answered {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}
