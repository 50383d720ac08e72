using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;
using EdgePortal.Agent.Images;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

public static partial class AgentEndpoints
{
    private static readonly TimeSpan PageServerWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// POST /criu/images/{id}/page-server: a <c>criu page-server</c> on this host's address (<see cref="AgentOptions.PageServerAddress"/>,
    /// else the first address of the service device) at a port the kernel picks, receiving the pages of the dump of
    /// images <paramref name="id"/> into this agent's images <paramref name="id"/>.
    /// </summary>
    private static async Task<IResult> StartPageServerAsync(string id, IOptions<AgentOptions> options, CriuImageStore images, HostNetwork host, CriuDriver criu,
        CriuWorkloads workloads, ILogger<CriuWorkloads> logger, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!ImageName().IsMatch(id))
            return BadId();
        var directory = images.PathOf(id);
        if (Directory.Exists(directory) || workloads.PageServers.ContainsKey(id))
            return ImagesExist(id);
        var address = o.PageServerAddress is { Length: > 0 } configured ? configured : await host.PrimaryAddressAsync(cancellationToken).ConfigureAwait(false);
        if (address is null)
            return Results.Problem(statusCode: 422, title: "No address for a page server",
                detail: $"{o.ServiceDevice} has no IPv4 address of its own on this host; set {AgentOptions.Section}:PageServerAddress to the address peers reach this host at.");
        CriuPageServer server;
        try
        {
            server = await criu.StartPageServerAsync(directory, host.Namespace, address, cancellationToken).ConfigureAwait(false);
        }
        catch (CriuPageServerException e)
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
            return Results.Problem(statusCode: 422, title: "criu page-server failed", detail: e.Message);
        }
        workloads.PageServers[id] = server;
        _ = ExpireAsync(id, server, directory, o.PageServerTimeout, workloads, logger);
        return Results.Ok(new CriuPageServerAnswer(id, server.Address, server.Endpoint.Port, server.LogPath));
    }

    /// <summary>
    /// Kills the page server of images <paramref name="id"/> and deletes its images when it has not finished within
    /// <paramref name="timeout"/> (<see cref="AgentOptions.PageServerTimeout"/>) and nobody has taken it over (a DELETE, a
    /// restore waiting for it): the portal that started it is gone, and it would listen and hold its folder forever.
    /// </summary>
    private static async Task ExpireAsync(string id, CriuPageServer server, string directory, TimeSpan timeout, CriuWorkloads workloads, ILogger logger)
    {
        try
        {
            await server.Finished.WaitAsync(timeout).ConfigureAwait(false);
            return;
        }
        catch (TimeoutException)
        {
            // Still waiting for (or receiving) a dump.
        }
        if (!workloads.PageServers.TryRemove(new KeyValuePair<string, CriuPageServer>(id, server)))
            return;
        await server.DisposeAsync().ConfigureAwait(false);
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Deleted meanwhile.
        }
        catch (IOException e)
        {
            logger.LogError(e, "Could not delete the images {Directory} of an expired page server", directory);
        }
        logger.LogWarning("Stopped the page server for images {Id} on {Address} and deleted its images: it had not received a whole dump within {Timeout}",
            id, server.Address, timeout);
    }

    /// <summary>
    /// Waits for the page server that received the pages of images <paramref name="id"/> here, if there is one, and forgets it:
    /// null when there was none or it received a whole dump, else the problem to answer.
    /// </summary>
    private static async Task<IResult?> PageServerFailedAsync(string id, CriuWorkloads workloads)
    {
        if (!workloads.PageServers.TryGetValue(id, out var server))
            return null;
        string? reason;
        try
        {
            reason = await server.Finished.WaitAsync(PageServerWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Results.Problem(statusCode: 409, title: "Page server still receiving",
                detail: $"The page server for images {id} ({server.Address}) has not finished within {PageServerWait.TotalSeconds:0} s: the dump that feeds it is still running or never connected.");
        }
        workloads.PageServers.TryRemove(id, out _);
        await server.DisposeAsync().ConfigureAwait(false);
        return reason is null ? null : Results.Problem(statusCode: 422, title: "criu page-server failed", detail: reason);
    }
}
