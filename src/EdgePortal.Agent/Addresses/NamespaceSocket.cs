using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgePortal.Agent.Addresses;

/// <summary>
/// A TCP socket of another network namespace (a lab host's): created on a thread of its own that entered the namespace
/// (setns), which returns to the agent's afterwards. A socket stays in the namespace it was created in, whichever thread
/// uses it later, so the agent can carry bytes across the host's link without running a process there.
/// </summary>
internal static partial class NamespaceSocket
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>A new IPv4 TCP socket of <paramref name="networkNamespace"/> (a path such as /run/netns/X), or of the agent's own when null.</summary>
    public static Socket Create(string? networkNamespace)
    {
        if (networkNamespace is null)
            return new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Socket? socket = null;
        string? error = null;
        var thread = new Thread(() =>
        {
            using var self = File.OpenHandle("/proc/thread-self/ns/net");
            using var target = File.OpenHandle(networkNamespace);
            if (SetNamespace((int)target.DangerousGetHandle(), CloneNewNet) != 0)
            {
                error = $"setns({networkNamespace}) failed: errno {Marshal.GetLastPInvokeError()}";
                return;
            }
            try
            {
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            }
            finally
            {
                if (SetNamespace((int)self.DangerousGetHandle(), CloneNewNet) != 0)
                    error = $"setns back to the agent's namespace failed: errno {Marshal.GetLastPInvokeError()}";
            }
        }) { IsBackground = true, Name = "netns socket" };
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException(error ?? $"no socket in {networkNamespace}");
    }

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);
}
