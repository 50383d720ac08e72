using System.Collections.Concurrent;

namespace EdgePortal.Agent.Criu;

/// <summary>
/// The processes migrations may name (registered by PID, or restored here), the restored trees this agent holds, and the
/// page servers waiting for a dump. In memory: an agent restart forgets them, but never kills them (each tree's
/// <c>unshare --kill-child</c> holder lives on).
/// </summary>
public sealed class CriuWorkloads
{
    internal ConcurrentDictionary<string, (int Pid, string? RestoredFrom)> Named { get; } = new(StringComparer.Ordinal);
    internal ConcurrentDictionary<string, RestoredTree> Restored { get; } = new(StringComparer.Ordinal);
    internal ConcurrentDictionary<string, CriuPageServer> PageServers { get; } = new(StringComparer.Ordinal);
}
