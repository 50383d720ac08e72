using System.Net;
using System.Net.Sockets;
using EdgePortal.Agent.Addresses;
using EdgePortal.Agent.Criu;

namespace EdgePortal.Agent.PageIn;

/// <summary>
/// Ending a lazy dump's page stream so that CRIU resumes the source: CRIU's page server treats a clean end of the stream
/// between two requests as "every page sent" (it then kills the frozen tree), and a broken one as a failed transfer (it
/// resumes the tree). A stream that must not finish is therefore reset, never closed.
/// </summary>
internal static class PageStream
{
    /// <summary>Resets <paramref name="socket"/> (RST, no FIN) and closes it.</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or broken: nothing clean can reach the source any more.
        }
    }

    /// <summary>
    /// Fails the transfer of a lazy dump nobody fetches from: connects to its page server from <paramref name="networkNamespace"/>,
    /// sends one byte (less than a request) and resets the connection.
    /// </summary>
    public static async Task AbortAsync(string? networkNamespace, CriuPageServerEndpoint server)
    {
        if (!IPAddress.TryParse(server.Address, out var address) || server.Port <= 0)
            return;
        using var socket = NamespaceSocket.Create(networkNamespace);
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(new IPEndPoint(address, server.Port), bounded.Token).ConfigureAwait(false);
            await socket.SendAsync(new byte[] { 0 }, bounded.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // Not listening (any more): the dump has ended or will be killed.
        }
        Reset(socket);
    }
}
