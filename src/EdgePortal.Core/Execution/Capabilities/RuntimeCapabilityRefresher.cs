using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Core.Execution;

/// <summary>Probes every cluster at start and then every <see cref="CapabilityOptions.RefreshInterval"/> (none when it is zero).</summary>
public sealed partial class RuntimeCapabilityRefresher(RuntimeCapabilityCatalog catalog, IOptionsMonitor<CapabilityOptions> options, TimeProvider clock,
    ILogger<RuntimeCapabilityRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.CurrentValue.RefreshInterval;
        // Made before the first round, so that a tick during that round is not lost.
        using var timer = interval > TimeSpan.Zero ? new PeriodicTimer(interval, clock) : null;
        do
        {
            try
            {
                await catalog.RefreshAllAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The inventory failing to list clusters must not end the refresh: the next round tries again.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogRefreshFailed(e);
            }
        }
        while (timer is not null && await Tick(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the runtimes' capabilities failed; the next round tries again")]
    private partial void LogRefreshFailed(Exception exception);
}
