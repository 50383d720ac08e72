using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace EdgePortal.Web.Replicas;

/// <summary>
/// The replica's one Redis connection for the event stream and readiness (the SignalR backplane keeps its own). It
/// connects in the background and reconnects by itself, so a Redis that is down delays live updates across replicas
/// and fails readiness, but never stops the portal from starting.
/// </summary>
public sealed class RedisConnection(IOptions<RedisOptions> options) : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _multiplexer = new(() =>
    {
        var configuration = ConfigurationOptions.Parse(options.Value.Configuration!);
        configuration.AbortOnConnectFail = false;
        configuration.ClientName ??= "edgeportal";
        return ConnectionMultiplexer.Connect(configuration);
    });

    public IConnectionMultiplexer Multiplexer => _multiplexer.Value;

    /// <summary>The endpoints, for messages (never the password).</summary>
    public string Endpoints => string.Join(", ", ConfigurationOptions.Parse(options.Value.Configuration!).EndPoints.Select(e => e.ToString()));

    public void Dispose()
    {
        if (_multiplexer.IsValueCreated)
            _multiplexer.Value.Dispose();
    }
}

/// <summary>Ready when Redis answers a PING within a few seconds.</summary>
public sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.Multiplexer.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"Redis {redis.Endpoints} answered in {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis {redis.Endpoints} does not answer: {e.Message}", e);
        }
    }
}
