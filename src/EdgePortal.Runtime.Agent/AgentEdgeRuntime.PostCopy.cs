using System.Globalization;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;

namespace EdgePortal.Runtime.Agent;

/// <summary>
/// PostCopy (CRIU lazy migration) on hosts whose probe says lazy pages work (userfaultfd, and page pipes that can grow:
/// CAP_SYS_RESOURCE or fs.pipe-max-size ≥ 256 MiB). Checkpoint: the source's <c>criu dump --lazy-pages</c> writes
/// everything but the memory and keeps the process frozen behind its network lock, serving the pages from a page server
/// on its host's address; the service address leaves the source. Transfer: those small images go to the destination.
/// Restore: the address on the destination (guarded), then criu lazy-pages behind the agent's relay (the pages at the
/// plan's reserved bandwidth) and <c>criu restore --lazy-pages</c> in a fresh PID namespace: the service runs from here
/// on. SwitchTraffic announces the address. PageIn: the degradation window, until the last page arrived and the source's
/// dump ended (CRIU kills the frozen source then). From the restore on the only way is forward.
/// </summary>
public sealed partial class AgentEdgeRuntime
{
    internal static async Task<StepResult> LazyCheckpointAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var address = o.ServiceAddresses.GetValueOrDefault(c.Service.Name);
        var d = await source.DumpAsync(id, WorkloadName(c.Service.Name), address, o.Device, ct, tenant: Tenant(c.Service), lazyPages: true).ConfigureAwait(false);
        var pid = d.PidInNamespace > 0 && d.PidInNamespace != d.Pid ? string.Create(CultureInfo.InvariantCulture, $"pid {d.Pid} (pid {d.PidInNamespace} in its own PID namespace)") : $"pid {d.Pid}";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"lazy dump of {pid} on {source.Node} into {id} (criu dump --lazy-pages): {d.Bytes / 1e6:0.000} MB of images besides the memory in {d.Files} files, ready in {d.WallClockMs:0} ms; {c.Service.Name} frozen there, its memory served from the page server {d.PageServer} until the destination has it all{(address is null ? "" : $"; {address} released on {source.Node}")}"),
            d.WallClockMs, new StepArtifacts { ImagesId = id, PageServer = d.PageServer, ServiceAddress = address });
    }

    internal static async Task<StepResult> LazyRestoreAsync(StepContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        if (c.Stored.PageServer is not { } server || server.LastIndexOf(':') is var colon && colon <= 0
            || !int.TryParse(server[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            throw new StepFailedException($"the lazy dump of {c.Service.Name} on {source.Node} left no page server to fetch the pages from (artifacts: {c.Stored.PageServer ?? "none"})");
        var moved = "";
        if (o.ServiceAddresses.TryGetValue(c.Service.Name, out var address))
        {
            await destination.AddressAsync(AddressAction.Add, address, o.Device, false, ct, guard: true).ConfigureAwait(false);
            moved = $"; {address} moved {source.Node} → {destination.Node}";
        }
        var reserved = c.Plan.ReservedBandwidth.BitsPerSecond;
        var r = await destination.RestoreAsync(id, WorkloadName(c.Service.Name), ct, tenant: Tenant(c.Service),
            lazyPageServer: new CriuPageServerCall { Address = server[..colon], Port = port }, bandwidthBitsPerSecond: reserved > 0 ? reserved : null).ConfigureAwait(false);
        var s = r.Stats;
        var stats = s is null ? "no stats-restore" : string.Create(CultureInfo.InvariantCulture, $"CRIU: restore {s.RestoreTimeUs / 1000.0:0.0} ms, forking {s.ForkingTimeUs / 1000.0:0.0} ms");
        var limit = reserved > 0 ? string.Create(CultureInfo.InvariantCulture, $"{reserved / 1e6:0.#} Mbit/s") : "no limit";
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"restored {id} on {destination.Node} with lazy pages (criu restore --lazy-pages): pid {r.Pid} (pid {r.PidInNamespace} in its own PID namespace), wall clock {r.WallClockMs:0} ms; {stats}; {c.Service.Name} resumed on {destination.Node} at {DateTimeOffset.UtcNow:HH:mm:ss.fff} UTC, its memory faulting in from {server} through criu lazy-pages ({limit}){moved}; from here the only way is forward"),
            null, new StepArtifacts { RestoredPid = r.Pid, ServiceAddress = address });
    }

    internal static async Task<StepResult> PageInAsync(StepContext c, AgentApiClient source, AgentApiClient destination, CancellationToken ct)
    {
        var id = ImagesId(c.Service.Name, c.MigrationId);
        var p = await destination.PageInAsync(id, ct).ConfigureAwait(false);
        // CRIU's stats-dump of a lazy dump is written after the page transfer and counts none of it: the relay's figures are the page-in's.
        var d = await source.LazyDumpAsync(id, ct).ConfigureAwait(false);
        var limit = p.LimitBitsPerSecond is { } l ? string.Create(CultureInfo.InvariantCulture, $"limit {l / 1e6:0.#} Mbit/s") : "no limit";
        var rate = p.WindowMs > 0 ? p.Bytes * 8 / p.WindowMs / 1e3 : 0;
        return new StepResult(string.Create(CultureInfo.InvariantCulture,
            $"page-in {source.Node} → {destination.Node}: {p.Bytes / 1e6:0.0} MB from {p.Source} ({rate:0.#} Mbit/s, {limit}); degradation window {p.WindowMs:0} ms, from the resume at {p.ResumedAt:HH:mm:ss.fff} to the last page at {p.LastPageAt:HH:mm:ss.fff} UTC; the lazy dump on {source.Node} ended {d.WallClockMs:0} ms after it started and CRIU killed the frozen source"),
            p.WindowMs);
    }

    /// <summary>
    /// Before the destination resumed: its restore (if any) killed, the address back on the source, the lazy dump stopped
    /// (its transfer made to fail, so that CRIU resumes the frozen tree; its network lock deleted), the images deleted.
    /// After: forward only.
    /// </summary>
    private static async Task<StepOutcome> PostCopyRollbackAsync(RollbackContext c, AgentClusterOptions o, AgentApiClient source, AgentApiClient destination,
        List<string> done, CancellationToken ct)
    {
        var id = c.Artifacts.ImagesId ?? ImagesId(c.Service.Name, c.MigrationId);
        if (c.CompletedSteps.Any(s => s.Kind == StepKind.Restore))
        {
            // The service ran on the destination: nothing on the source is current any more. The agents clean up what they can.
            var sourceAnswers = true;
            try
            {
                if (await source.DeleteImagesAsync(id, ct).ConfigureAwait(false))
                    done.Add($"deleted the images on {c.Source.Name}");
            }
            catch (AgentCallException e) when (e.Unreachable)
            {
                sourceAnswers = false;
                done.Add($"{c.Source.Name}'s agent does not answer");
            }
            var lost = !sourceAnswers || c.Reason.Contains("page-in failed", StringComparison.Ordinal);
            if (lost && await destination.DeleteImagesAsync(id, ct).ConfigureAwait(false))
                done.Add($"deleted the images on {c.Destination.Name}");
            return new StepOutcome.Failure(PostCopyRollback.ForwardOnly(c, lost, string.Join("; ", done)));
        }
        if (await destination.DeleteRestoredAsync(id, ct).ConfigureAwait(false))
            done.Add($"killed the restored {WorkloadName(c.Service.Name)} on {c.Destination.Name}");
        if (await destination.DeleteImagesAsync(id, ct).ConfigureAwait(false))
            done.Add($"deleted the images on {c.Destination.Name}");
        var address = o.ServiceAddresses.GetValueOrDefault(c.Service.Name);
        var dumped = c.CompletedSteps.Any(s => s.Kind == StepKind.Checkpoint);
        if (dumped && address is not null)
        {
            await destination.AddressAsync(AddressAction.Remove, address, o.Device, false, ct).ConfigureAwait(false);
            await source.AddressAsync(AddressAction.Add, address, o.Device, false, ct).ConfigureAwait(false);
        }
        if (await source.DeleteImagesAsync(id, ct).ConfigureAwait(false))
            done.Add(dumped
                ? $"stopped the lazy dump on {c.Source.Name}: {c.Service.Name} runs on there with all its memory (its established TCP connections break: CRIU leaves them in repair mode when a lazy transfer fails; clients reconnect); deleted its images"
                : $"deleted the images on {c.Source.Name}");
        if (dumped && address is not null)
        {
            await source.AddressAsync(AddressAction.Announce, address, o.Device, false, ct).ConfigureAwait(false);
            done.Add($"{address} back on {c.Source.Name} and announced");
        }
        return new StepOutcome.Success(done.Count == 0
            ? $"{c.Service.Name} serves from {c.Source.Name}; nothing to undo"
            : $"{string.Join("; ", done)}; {c.Service.Name} serves from {c.Source.Name}");
    }
}
