using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace EdgePortal.Web.Security;

/// <summary>
/// Ends hub connections whose principal lost its access: every connection is tracked from connect to disconnect, every
/// invocation is checked, and every <see cref="SessionValidator.Interval"/> (or at once on an access change on this replica)
/// each open connection is checked and, when refused, aborted. A hub connection is authenticated once, at connect, so
/// without this a deleted user or a revoked key would keep receiving events for as long as the socket stays open.
/// </summary>
public sealed class HubSessions(SessionValidator validator, AccessChanges changes, ILogger<HubSessions> logger)
    : BackgroundService, IHubFilter
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new(StringComparer.Ordinal);

    /// <summary>The connections open on this replica (for tests and diagnostics).</summary>
    public int Count => _connections.Count;

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        _connections[context.Context.ConnectionId] = context.Context;
        await next(context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        _connections.TryRemove(context.Context.ConnectionId, out _);
        await next(context, exception);
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (invocationContext.Context.User is { } user && validator.Refusal(user) is { } why)
        {
            End(invocationContext.Context, why);
            throw new HubException("Your access has ended: sign in again.");
        }
        return await next(invocationContext);
    }

    /// <summary>Checks every open connection now; returns how many were ended.</summary>
    public int Revalidate()
    {
        var ended = 0;
        foreach (var connection in _connections.Values)
        {
            if (connection.User is not { } user || validator.Refusal(user) is not { } why)
                continue;
            End(connection, why);
            ended++;
        }
        return ended;
    }

    private void End(HubCallerContext connection, string why)
    {
        logger.LogInformation("Closed the hub connection {ConnectionId} of {User}: {Reason}", connection.ConnectionId, connection.User?.Identity?.Name, why);
        _connections.TryRemove(connection.ConnectionId, out _);
        connection.Abort();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var changed = changes.Next;
                Revalidate();
                await validator.NextCheckAsync(changed, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Revalidating hub connections failed; trying again at the next interval");
            }
        }
    }
}
