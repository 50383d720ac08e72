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

    /// <summary>Post-copy sources: the lazy dumps serving their pages, with the workload key they dump and when they started.</summary>
    internal ConcurrentDictionary<string, (CriuPageServer Dump, string? Key, int Pid, DateTimeOffset Started)> LazyDumps { get; } = new(StringComparer.Ordinal);

    /// <summary>Post-copy destinations: the lazy-pages daemon and relay of each lazily restored images, and when the process resumed.</summary>
    internal ConcurrentDictionary<string, (CriuPageServer Daemon, PageIn.PageRelay Relay, DateTimeOffset ResumedAt)> PageIns { get; } = new(StringComparer.Ordinal);

    /// <summary>The Podman containers restored here, by the images they came from (their container id).</summary>
    internal ConcurrentDictionary<string, string> RestoredContainers { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The key a workload is held under: its name, qualified by its tenant when it has one (<c>name@tenant</c>; '@' is in
    /// neither), so that two tenants' workloads of one name are two workloads.
    /// </summary>
    internal static string Key(string name, string? tenant) => tenant is { Length: > 0 } ? $"{name}@{tenant}" : name;

    /// <summary>A key's name and tenant.</summary>
    internal static (string Name, string? Tenant) Split(string key) =>
        key.IndexOf('@', StringComparison.Ordinal) is var at and >= 0 ? (key[..at], key[(at + 1)..]) : (key, null);
}
