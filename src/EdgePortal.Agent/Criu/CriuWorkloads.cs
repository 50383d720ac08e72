using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Agent.Criu;

/// <summary>
/// The processes migrations may name (registered by PID, or restored here), the restored trees this agent holds, and the
/// page servers waiting for a dump. Held in memory and, when the agent has a journal (<see cref="JournalName"/> in its
/// image directory), written there after every change: an agent that crashed or was restarted knows again, at start, every
/// registered process and restored tree that still runs (the same PID with the same start time), so a rollback can still
/// kill a copy it restored and the next migration still finds the service. A restart never kills them either (each tree's
/// <c>unshare --kill-child</c> holder lives on). Page servers and Podman containers are not journaled: a page server dies
/// with its dump, and containers are found again by their labels.
/// </summary>
public sealed class CriuWorkloads
{
    /// <summary>The journal's file name in the agent's image directory.</summary>
    public const string JournalName = "workloads.json";

    private readonly string? _journal;
    private readonly ILogger? _logger;
    private readonly Lock _saving = new();

    /// <summary>A registry in memory only (tests of single endpoints).</summary>
    public CriuWorkloads()
    {
    }

    /// <summary>A registry journaled to <paramref name="journal"/>, and what it held that still runs read back from it.</summary>
    public CriuWorkloads(string journal, ILogger<CriuWorkloads> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(journal);
        ArgumentNullException.ThrowIfNull(logger);
        _journal = journal;
        _logger = logger;
        Load(logger);
    }

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
    /// The Podman containers dumped here left running for a replay, by the images dumped (their workload key and container
    /// id): the source that serves until the copy takes over. The workload's DELETE (the replay's clean-up, once the source
    /// left) removes the container; the images' DELETE (after a rollback too, the source serving on) only forgets it.
    /// </summary>
    internal ConcurrentDictionary<string, (string Key, string ContainerId)> ReplayedContainers { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The key a workload is held under: its name, qualified by its tenant when it has one (<c>name@tenant</c>; '@' is in
    /// neither), so that two tenants' workloads of one name are two workloads.
    /// </summary>
    internal static string Key(string name, string? tenant) => tenant is { Length: > 0 } ? $"{name}@{tenant}" : name;

    /// <summary>A key's name and tenant.</summary>
    internal static (string Name, string? Tenant) Split(string key) =>
        key.IndexOf('@', StringComparison.Ordinal) is var at and >= 0 ? (key[..at], key[(at + 1)..]) : (key, null);

    /// <summary>Writes <see cref="Named"/> and <see cref="Restored"/> to the journal (replaced whole: a crash mid-write leaves the old one).</summary>
    internal void Save()
    {
        if (_journal is null)
            return;
        lock (_saving)
        {
            var journal = new Journal(
                [.. Named.Select(n => new NamedEntry(n.Key, n.Value.Pid, n.Value.RestoredFrom, StartTime(n.Value.Pid)))],
                [.. Restored.Select(r => new RestoredEntry(r.Key, r.Value.HolderPid, r.Value.Pid, StartTime(r.Value.HolderPid)))]);
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_journal)!);
                var next = _journal + ".next";
                File.WriteAllBytes(next, JsonSerializer.SerializeToUtf8Bytes(journal));
                File.Move(next, _journal, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The migration goes on; only a restart of this agent would forget what changed.
                _logger?.LogWarning("The workload journal {Journal} could not be written: {Reason}", _journal, e.Message);
            }
        }
    }

    private void Load(ILogger logger)
    {
        if (!File.Exists(_journal))
            return;
        Journal? journal;
        try
        {
            journal = JsonSerializer.Deserialize<Journal>(File.ReadAllBytes(_journal));
        }
        catch (JsonException e)
        {
            logger.LogWarning("The workload journal {Journal} is unreadable ({Reason}); starting with no workloads", _journal, e.Message);
            return;
        }
        foreach (var r in journal?.Restored ?? [])
        {
            if (r.HolderStart is not { } start || StartTime(r.HolderPid) != start)
                continue;
            try
            {
                Restored[r.Id] = new RestoredTree(Process.GetProcessById(r.HolderPid), r.Pid);
            }
            catch (ArgumentException)
            {
                // Gone since it was read.
            }
        }
        foreach (var n in journal?.Named ?? [])
            if (n.Start is { } start && StartTime(n.Pid) == start && (n.RestoredFrom is null || Restored.ContainsKey(n.RestoredFrom)))
                Named[n.Key] = (n.Pid, n.RestoredFrom);
        logger.LogInformation("Read the workload journal {Journal}: {Named} workload(s) and {Restored} restored tree(s) still run here",
            _journal, Named.Count, Restored.Count);
        Save();
    }

    /// <summary>The process's start time (clock ticks after boot, /proc/PID/stat field 22): a PID reused by another process has another.</summary>
    private static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the name: state is field 3, so starttime (field 22) is the 20th here.
            return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private sealed record Journal(List<NamedEntry> Named, List<RestoredEntry> Restored);

    private sealed record NamedEntry(string Key, int Pid, string? RestoredFrom, long? Start);

    private sealed record RestoredEntry(string Id, int HolderPid, int Pid, long? HolderStart);
}
