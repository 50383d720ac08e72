using System.Text.Json;
using System.Threading.Channels;
using EdgePortal.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace EdgePortal.Cli;

/// <summary>
/// Follows one migration until it ends. It joins the migration's group on the live hub (<c>/hubs/migrations</c>) and reads
/// the migration again through the REST API on every batch of events, so each view is the portal's whole state, not a
/// replay of events; it subscribes before its first read, so nothing happens unseen. Without the hub (refused, a proxy
/// without WebSockets, <c>--poll</c>) it polls every second; with it, it still reads every few seconds in case the
/// connection drops silently.
/// </summary>
internal sealed class MigrationWaiter(EdgePortalConnection connection, EdgePortalClient client, CliConsole console, IProgressView progress)
    : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HubCheckInterval = TimeSpan.FromSeconds(5);

    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private HubConnection? _hub;
    private volatile bool _live;

    public static bool HasEnded(MigrationState state)
        => state is MigrationState.Completed or MigrationState.RolledBack or MigrationState.Cancelled or MigrationState.Failed;

    public async Task<MigrationViewModel> WaitAsync(MigrationViewModel migration, bool poll, CancellationToken cancellationToken)
    {
        var id = migration.Id;
        if (!poll)
            _live = await TryFollowAsync(id, cancellationToken);
        try
        {
            while (true)
            {
                var current = await client.GetMigrationAsync(id, cancellationToken);
                progress.Show(current);
                if (HasEnded(current.State))
                    return current;
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                tick.CancelAfter(_live ? HubCheckInterval : PollInterval);
                try
                {
                    await _changed.Reader.ReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
        }
        finally
        {
            progress.End();
        }
    }

    private async Task<bool> TryFollowAsync(Guid id, CancellationToken cancellationToken)
    {
        _hub = new HubConnectionBuilder()
            .WithUrl(new Uri(connection.BaseAddress, "hubs/migrations"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(connection.ApiKey))
            .Build();
        _hub.On<JsonElement[]>("MigrationEvents", _ => _changed.Writer.TryWrite(true));
        _hub.Closed += _ =>
        {
            _live = false;
            return Task.CompletedTask;
        };
        try
        {
            await _hub.StartAsync(cancellationToken);
            await _hub.InvokeAsync("SubscribeMigration", id, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync($"edgeportal: no live events ({e.Message}); polling every {PollInterval.TotalSeconds:0} s.");
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_hub is not null)
            await _hub.DisposeAsync();
    }
}
