using System.Globalization;
using System.Text.Json;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Podman;

/// <summary>
/// Drives the host's Podman (never one inside the agent's container): the local CLI, in the host's network namespace
/// (<c>nsenter --net</c> where <see cref="AgentOptions.NetworkNamespace"/> is set, as in the lab), or the host's Podman service
/// through its API socket (libpod's REST API, <see cref="AgentPodmanOptions.Url"/>: <see cref="PodmanApi"/>), whose containers
/// live in the host's namespace already. Containers are found by their tenant-qualified identity (<see cref="FindAsync"/>), checkpointed
/// with <c>podman container checkpoint --export --tcp-established --print-stats</c> and restored with <c>podman container
/// restore --import</c>; CRIU comes first in the PATH Podman and its OCI runtime see.
/// </summary>
public sealed class PodmanDriver(IOptions<AgentOptions> options) : IDisposable
{
    private readonly Lazy<PodmanApi> _api = new(() => new PodmanApi(options.Value.Podman.Url!));

    public void Dispose()
    {
        if (_api.IsValueCreated)
            _api.Value.Dispose();
    }

    /// <summary>The label that names the tenant owning a container (the portal's tenant id).</summary>
    public const string TenantLabel = "io.edgeportal.tenant";

    /// <summary>The label that names the service a container runs (the portal's service name as the agent writes it).</summary>
    public const string ServiceLabel = "io.edgeportal.service";

    /// <summary>The checkpoint archive's name in an images folder: a folder holding it came from a container.</summary>
    public const string ArchiveName = "container-checkpoint.tar";

    private AgentPodmanOptions Podman => options.Value.Podman;

    public bool Enabled => Podman.Enabled;

    /// <summary>The container name that carries the tenant: <c>{service}.{tenant}</c>.</summary>
    public static string QualifiedName(string service, string tenant) => $"{service}.{tenant}";

    /// <summary>Runs podman with <paramref name="arguments"/> as configured.</summary>
    public Task<CommandResult> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var p = Podman;
        var criuDirectory = Path.GetDirectoryName(options.Value.CriuPath) ?? "/usr/local/sbin";
        List<string> command = ["env", $"PATH={criuDirectory}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"];
        if (!string.IsNullOrWhiteSpace(p.ConfigFile))
            command.Add($"CONTAINERS_CONF={p.ConfigFile}");
        command.Add(p.Executable);
        {
            if (!string.IsNullOrWhiteSpace(p.Root))
                command.AddRange(["--root", p.Root]);
            if (!string.IsNullOrWhiteSpace(p.RunRoot))
                command.AddRange(["--runroot", p.RunRoot]);
            if (!string.IsNullOrWhiteSpace(p.TmpDir))
                command.AddRange(["--tmpdir", p.TmpDir]);
        }
        command.AddRange(arguments);
        // A remote Podman service runs its containers in its own (the host's) network namespace; the local CLI in the one
        // it is started in, which is the host's only through nsenter when the agent acts for a lab host.
        if (!p.Remote && !string.IsNullOrEmpty(options.Value.NetworkNamespace))
            command = ["nsenter", $"--net={options.Value.NetworkNamespace}", "--", .. command];
        return CommandRunner.RunAsync(command[0], command[1..], cancellationToken);
    }

    /// <summary>Podman's version, its OCI runtime and what that runtime can checkpoint; <paramref name="criu"/> says whether CRIU tracks dirty pages.</summary>
    public async Task<PodmanCapabilities> ProbeAsync(CriuCapabilities criu, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(criu);
        var remote = Podman.Remote;
        JsonDocument info;
        if (remote)
        {
            try
            {
                info = await _api.Value.GetAsync("info", cancellationToken).ConfigureAwait(false);
            }
            catch (PodmanException e)
            {
                return new PodmanCapabilities("", remote, "", false, false, false, false, e.Message);
            }
        }
        else
        {
            var r = await RunAsync(["info", "--format", "json"], cancellationToken).ConfigureAwait(false);
            if (r.ExitCode != 0)
                return new PodmanCapabilities("", remote, "", false, false, false, false, $"podman info failed ({r.ExitCode}): {Words(r)}");
            info = JsonDocument.Parse(r.StandardOutput);
        }
        string number = "", runtimeName = "", runtimeVersion = "", runtimePath = "";
        using (info)
        {
            if (info.RootElement.TryGetProperty("version", out var v) && v.TryGetProperty("Version", out var n))
                number = n.GetString() ?? "";
            if (info.RootElement.TryGetProperty("host", out var host) && host.TryGetProperty("ociRuntime", out var oci))
            {
                runtimeName = oci.TryGetProperty("name", out var rn) ? rn.GetString() ?? "" : "";
                runtimeVersion = oci.TryGetProperty("version", out var rv) ? rv.GetString() ?? "" : "";
                runtimePath = oci.TryGetProperty("path", out var rp) ? rp.GetString() ?? "" : "";
            }
        }
        var firstLine = runtimeVersion.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        // runc checkpoints through CRIU always; crun only when built with it (its version lists +CRIU; Debian's crun 1.8 does not).
        var checkpoint = runtimeName == "runc" || runtimeVersion.Contains("+CRIU", StringComparison.Ordinal);
        var usable = checkpoint && criu.Usable;
        var preCheckpoint = usable && criu.DirtyTracking;
        var (tcpClose, tcpCloseWhy) = usable ? HonoursCriuConfig(runtimeName, runtimePath, firstLine, criu.Version) : (false, "containers do not checkpoint here");
        var detail = string.Concat(
            $"Podman {number}{(remote ? " (API socket)" : "")}, OCI runtime {firstLine}: ",
            checkpoint ? "checkpoint/restore of containers" : $"{runtimeName} cannot checkpoint (built without CRIU; use runc: [engine] runtime = \"runc\")",
            checkpoint && !criu.Usable ? " — but criu check fails" : "",
            tcpClose ? $"; copies restored with their TCP connections closed ({tcpCloseWhy})" : $"; no copies with TCP connections closed ({tcpCloseWhy})",
            $"; --pre-checkpoint {(preCheckpoint ? "usable" : "not usable (CRIU: dirty tracking off)")}",
            $"; no post-copy: Podman {number} cannot express lazy pages (podman container checkpoint/restore have no --lazy-pages or --page-server)");
        return new PodmanCapabilities(number, remote, firstLine, checkpoint, preCheckpoint, false, usable, detail, tcpClose);
    }

    /// <summary>The annotation that names runc's per-container CRIU configuration file.</summary>
    public const string CriuConfigAnnotation = "org.criu.config";

    /// <summary>
    /// Whether the OCI runtime hands CRIU the configuration file a container's <see cref="CriuConfigAnnotation"/> names (so that
    /// a restored copy can find its TCP connections closed), and why. runc does since 1.0 and says so in its binary, which is
    /// read where the agent sees it (the local CLI); through the API socket the runtime's binary is the host's, and its version
    /// decides. CRIU evaluates such files from 3.11 on. crun's CRIU support reads no such annotation.
    /// </summary>
    internal static (bool Honours, string Why) HonoursCriuConfig(string runtimeName, string runtimePath, string runtimeVersion, string criuVersion)
    {
        if (runtimeName != "runc")
            return (false, $"{(runtimeName.Length == 0 ? "the OCI runtime" : runtimeName)} hands CRIU no per-container configuration ({CriuConfigAnnotation} is runc's)");
        if (LeadingVersion(criuVersion) is { } criu && criu < new Version(3, 11))
            return (false, $"CRIU {criuVersion} reads no configuration files (3.11 and later do)");
        if (runtimePath.Length > 0 && File.Exists(runtimePath))
        {
            try
            {
                return ContainsAscii(runtimePath, CriuConfigAnnotation)
                    ? (true, $"{runtimePath} reads the {CriuConfigAnnotation} annotation")
                    : (false, $"{runtimePath} does not know the {CriuConfigAnnotation} annotation");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not readable by the agent: the version decides, as through the API socket.
            }
        }
        var words = runtimeVersion.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var version = words.Length >= 3 ? LeadingVersion(words[2]) : null;
        return version is { } v && v >= new Version(1, 0)
            ? (true, $"runc {v} reads the {CriuConfigAnnotation} annotation")
            : (false, $"runc {(words.Length >= 3 ? words[2] : "of unknown version")} may not read the {CriuConfigAnnotation} annotation (1.0 and later do)");
    }

    /// <summary>The version its text starts with ("1.1.5+ds1" → 1.1.5); null when there is none.</summary>
    private static Version? LeadingVersion(string text)
    {
        var end = 0;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.'))
            end++;
        var numbers = text[..end].Trim('.');
        return Version.TryParse(numbers.Contains('.', StringComparison.Ordinal) ? numbers : numbers + ".0", out var v) ? v : null;
    }

    /// <summary>Whether file <paramref name="path"/> holds the ASCII text <paramref name="text"/>, read in blocks.</summary>
    private static bool ContainsAscii(string path, string text)
    {
        var needle = System.Text.Encoding.ASCII.GetBytes(text);
        var buffer = new byte[1 << 20];
        var kept = 0;
        using var file = File.OpenRead(path);
        int read;
        while ((read = file.Read(buffer, kept, buffer.Length - kept)) > 0)
        {
            var filled = kept + read;
            if (buffer.AsSpan(0, filled).IndexOf(needle) >= 0)
                return true;
            // The block's tail may hold the start of the text: carried into the next block.
            kept = Math.Min(needle.Length - 1, filled);
            buffer.AsSpan(filled - kept, kept).CopyTo(buffer);
        }
        return false;
    }

    /// <summary>
    /// The running container of workload <paramref name="service"/> of <paramref name="tenant"/>: labelled
    /// <see cref="TenantLabel"/>=tenant and <see cref="ServiceLabel"/>=service, or named <c>{service}.{tenant}</c>. Null when none.
    /// </summary>
    /// <exception cref="PodmanException">Podman failed, or more than one container matches.</exception>
    public async Task<PodmanContainer?> FindAsync(string service, string tenant, CancellationToken cancellationToken)
    {
        JsonDocument list;
        if (Podman.Remote)
            list = await _api.Value.GetAsync("containers/json", cancellationToken).ConfigureAwait(false);
        else
        {
            var listed = await RunAsync(["ps", "--format", "json"], cancellationToken).ConfigureAwait(false);
            if (listed.ExitCode != 0)
                throw new PodmanException($"podman ps failed ({listed.ExitCode}): {Words(listed)}");
            list = JsonDocument.Parse(listed.StandardOutput.Trim() is { Length: > 0 } t ? t : "[]");
        }
        var name = QualifiedName(service, tenant);
        var candidates = new List<(string Id, int Pid)>();
        using (var doc = list)
        {
            foreach (var c in doc.RootElement.EnumerateArray())
            {
                var names = c.TryGetProperty("Names", out var n) && n.ValueKind == JsonValueKind.Array ? n.EnumerateArray().Select(x => x.GetString()).ToList() : [];
                var labels = c.TryGetProperty("Labels", out var l) && l.ValueKind == JsonValueKind.Object ? l : default;
                var labelled = labels.ValueKind == JsonValueKind.Object
                    && labels.TryGetProperty(TenantLabel, out var lt) && lt.GetString() == tenant
                    && labels.TryGetProperty(ServiceLabel, out var ls) && ls.GetString() == service;
                var pid = c.TryGetProperty("Pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0;
                if (labelled || names.Contains(name))
                    candidates.Add((c.GetProperty("Id").GetString()!, pid));
            }
        }
        var matches = new List<string>();
        foreach (var (id, pid) in candidates)
            if (await InHostNetworkAsync(pid, cancellationToken).ConfigureAwait(false))
                matches.Add(id);
        return matches.Count switch
        {
            0 => null,
            1 => await InspectAsync(matches[0], cancellationToken).ConfigureAwait(false),
            _ => throw new PodmanException($"{matches.Count} running containers are workload {service} of tenant {tenant} (label {ServiceLabel}={service} with {TenantLabel}={tenant}, or name {name}): one may be"),
        };
    }

    /// <summary>
    /// Whether process <paramref name="pid"/> runs in this host's network namespace. Always so on a host of its own; where one
    /// machine emulates several hosts with one Podman storage (the lab), a container belongs to the host whose namespace it
    /// runs in, and the agent of another must not take it for its own.
    /// </summary>
    private async Task<bool> InHostNetworkAsync(int pid, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Value.NetworkNamespace))
            return true;
        if (pid <= 0)
            return false;
        // /proc/PID/ns/net links to "net:[inode]"; the host's namespace file (/run/netns/X, a bind mount of one) has that inode.
        var target = new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/net").LinkTarget;
        if (target is null || !target.StartsWith("net:[", StringComparison.Ordinal))
            return false;
        if (_hostNamespaceInode is null)
        {
            var stat = await CommandRunner.RunAsync("stat", ["-L", "-c", "%i", options.Value.NetworkNamespace], cancellationToken).ConfigureAwait(false);
            _hostNamespaceInode = stat.StandardOutput.Trim();
        }
        return target[5..^1] == _hostNamespaceInode;
    }

    private string? _hostNamespaceInode;

    /// <summary>The container <paramref name="idOrName"/> as Podman inspects it; null when there is none.</summary>
    public async Task<PodmanContainer?> InspectAsync(string idOrName, CancellationToken cancellationToken)
    {
        var state = await InspectStateAsync(idOrName, cancellationToken).ConfigureAwait(false);
        return state?.Container;
    }

    /// <summary>The container as Podman inspects it and its init's PID as the host sees it; null when there is none.</summary>
    private async Task<(PodmanContainer Container, int Pid)?> InspectStateAsync(string idOrName, CancellationToken cancellationToken)
    {
        JsonDocument doc;
        if (Podman.Remote)
        {
            try
            {
                doc = await _api.Value.GetAsync($"containers/{Uri.EscapeDataString(idOrName)}/json", cancellationToken).ConfigureAwait(false);
            }
            catch (PodmanException)
            {
                return null;
            }
        }
        else
        {
            var inspected = await RunAsync(["container", "inspect", "--format", "json", idOrName], cancellationToken).ConfigureAwait(false);
            if (inspected.ExitCode != 0)
                return null;
            doc = JsonDocument.Parse(inspected.StandardOutput);
        }
        using var owned = doc;
        var c = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement[0] : doc.RootElement;
        var pid = c.TryGetProperty("State", out var st) && st.TryGetProperty("Pid", out var sp) ? sp.GetInt32() : 0;
        var network = c.TryGetProperty("HostConfig", out var hc) && hc.TryGetProperty("NetworkMode", out var nm) ? nm.GetString() ?? "" : "";
        return (new PodmanContainer(c.GetProperty("Name").GetString() ?? "", c.GetProperty("Id").GetString() ?? "", c.TryGetProperty("ImageName", out var im) ? im.GetString() ?? "" : "", network), pid);
    }

    /// <summary>The PID of the container's init as the host sees it; 0 when it does not run.</summary>
    public async Task<int> PidAsync(string id, CancellationToken cancellationToken)
    {
        var state = await InspectStateAsync(id, cancellationToken).ConfigureAwait(false);
        return state?.Pid ?? 0;
    }

    /// <summary>
    /// <c>podman container checkpoint --export</c> of <paramref name="container"/> into <paramref name="imagesDirectory"/>
    /// (<see cref="ArchiveName"/>, uncompressed: the link's time is the reserved rate's, and compressing would add CPU time
    /// to the downtime), with its established TCP connections. Without <paramref name="leaveRunning"/> the stopped container
    /// is removed afterwards: the archive is the container now, and its name is free for a restore here (a rollback).
    /// </summary>
    /// <param name="uncompressed">Export uncompressed whatever <see cref="AgentPodmanOptions.Compression"/> says (an archive the destination rewrites).</param>
    public async Task<PodmanOutcome> CheckpointAsync(PodmanContainer container, string imagesDirectory, bool leaveRunning, CancellationToken cancellationToken,
        bool uncompressed = false)
    {
        ArgumentNullException.ThrowIfNull(container);
        Directory.CreateDirectory(imagesDirectory);
        var archive = Path.Combine(imagesDirectory, ArchiveName);
        if (Podman.Remote)
        {
            var outcome = await _api.Value.CheckpointAsync(container.Id, archive, leaveRunning, cancellationToken).ConfigureAwait(false);
            if (outcome.Succeeded && !leaveRunning)
                await _api.Value.DeleteAsync($"containers/{container.Id}?force=true", cancellationToken).ConfigureAwait(false);
            if (!outcome.Succeeded)
                File.Delete(archive);
            return outcome;
        }
        List<string> arguments = ["container", "checkpoint", container.Id, $"--export={archive}", $"--compress={(uncompressed ? "none" : Podman.Compression)}", "--tcp-established", "--print-stats"];
        if (leaveRunning)
            arguments.Add("--leave-running");
        var r = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            File.Delete(archive);
            return new PodmanOutcome(false, $"podman container checkpoint {container.Name} failed ({r.ExitCode}): {Words(r)}", null, r.WallClock);
        }
        var stats = ParseStats(r.StandardOutput, "podman_checkpoint_duration", "runtime_checkpoint_duration");
        if (!leaveRunning)
        {
            var removed = await RunAsync(["rm", "--force", container.Id], cancellationToken).ConfigureAwait(false);
            if (removed.ExitCode != 0)
                return new PodmanOutcome(false, $"the checkpoint of {container.Name} succeeded but podman rm failed ({removed.ExitCode}): {Words(removed)}", stats, r.WallClock);
        }
        return new PodmanOutcome(true, "", stats, r.WallClock);
    }

    /// <summary>
    /// <c>podman container restore --import</c> of the archive in <paramref name="imagesDirectory"/>, in the host's network
    /// namespace: with its TCP connections (<c>--tcp-established</c>), or, with <paramref name="tcpClose"/>, without that option,
    /// the archive's spec naming a CRIU configuration that closes them (<see cref="CheckpointArchive.AnnotateAsync"/>): should the
    /// runtime ignore it, CRIU refuses the connected sockets instead of restoring them established beside the source's.
    /// </summary>
    /// <param name="name">The restored container's name; null: the archive's.</param>
    public async Task<(PodmanOutcome Outcome, PodmanContainer? Container)> RestoreAsync(string imagesDirectory, CancellationToken cancellationToken, bool tcpClose = false,
        string? name = null)
    {
        var archive = Path.Combine(imagesDirectory, ArchiveName);
        if (Podman.Remote)
        {
            var (outcome, restoredId) = await _api.Value.RestoreAsync(archive, cancellationToken, !tcpClose, name).ConfigureAwait(false);
            return (outcome, restoredId is null ? null : await InspectAsync(restoredId, cancellationToken).ConfigureAwait(false));
        }
        List<string> arguments = ["container", "restore", $"--import={archive}", "--print-stats"];
        if (!tcpClose)
            arguments.Add("--tcp-established");
        if (name is not null)
            arguments.Add($"--name={name}");
        var r = await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        if (r.ExitCode != 0)
            return (new PodmanOutcome(false, $"podman container restore --import {archive} failed ({r.ExitCode}): {Words(r)}", null, r.WallClock), null);
        var stats = ParseStats(r.StandardOutput, "podman_restore_duration", "runtime_restore_duration");
        var id = ContainerId(r.StandardOutput);
        var container = id is null ? null : await InspectAsync(id, cancellationToken).ConfigureAwait(false);
        return (new PodmanOutcome(true, "", stats, r.WallClock), container);
    }

    /// <summary>Whether this host's Podman has a container named (or with the id) <paramref name="nameOrId"/>, running or not.</summary>
    public async Task<bool> ExistsAsync(string nameOrId, CancellationToken cancellationToken)
    {
        if (Podman.Remote)
            return await _api.Value.ExistsAsync($"containers/{Uri.EscapeDataString(nameOrId)}/exists", cancellationToken).ConfigureAwait(false);
        var r = await RunAsync(["container", "exists", nameOrId], cancellationToken).ConfigureAwait(false);
        return r.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new PodmanException($"podman container exists {nameOrId} failed ({r.ExitCode}): {Words(r)}"),
        };
    }

    /// <summary>Removes a container whatever its state; false when there was none.</summary>
    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken)
    {
        if (Podman.Remote)
            return await _api.Value.DeleteAsync($"containers/{Uri.EscapeDataString(id)}?force=true", cancellationToken).ConfigureAwait(false);
        var r = await RunAsync(["rm", "--force", "--time", "2", id], cancellationToken).ConfigureAwait(false);
        return r.ExitCode == 0 && !r.Output.Contains("no such container", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The JSON <c>--print-stats</c> wrote (the first object on the output), read into <see cref="PodmanStats"/>; null when there is none.</summary>
    public static PodmanStats? ParseStats(string output, string podmanKey, string runtimeKey)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var doc = StatsDocument(output);
        if (doc is null)
            return null;
        var root = doc.RootElement;
        var podman = root.TryGetProperty(podmanKey, out var pd) ? pd.GetInt64() : 0;
        if (!root.TryGetProperty("container_statistics", out var all) || all.ValueKind != JsonValueKind.Array || all.GetArrayLength() == 0)
            return new PodmanStats(podman, 0, null, null);
        var c = all[0];
        var runtime = c.TryGetProperty(runtimeKey, out var rd) ? rd.GetInt64() : 0;
        if (!c.TryGetProperty("criu_statistics", out var s))
            return new PodmanStats(podman, runtime, null, null);
        return podmanKey.Contains("checkpoint", StringComparison.Ordinal)
            ? new PodmanStats(podman, runtime, DumpStats(s), null)
            : new PodmanStats(podman, runtime, null, RestoreStats(s));
    }

    /// <summary>CRIU's dump statistics as Podman writes them (<c>criu_statistics</c>, microseconds).</summary>
    internal static CriuDumpStats DumpStats(JsonElement s) => new(U(s, "freezing_time"), U(s, "frozen_time"), U(s, "memdump_time"), U(s, "memwrite_time"),
        L(s, "pages_scanned"), L(s, "pages_skipped_parent"), L(s, "pages_written"), L(s, "pages_lazy"));

    /// <summary>CRIU's restore statistics as Podman writes them.</summary>
    internal static CriuRestoreStats RestoreStats(JsonElement s) => new(L(s, "pages_compared"), L(s, "pages_skipped_cow"), U(s, "forking_time"), U(s, "restore_time"), L(s, "pages_restored"));

    private static uint U(JsonElement s, string key) => s.TryGetProperty(key, out var x) && x.TryGetUInt32(out var v) ? v : 0;

    private static ulong L(JsonElement s, string key) => s.TryGetProperty(key, out var x) && x.TryGetUInt64(out var v) ? v : 0;

    /// <summary>The restored container's id: --print-stats names it in container_statistics[0].Id.</summary>
    private static string? ContainerId(string output)
    {
        using var doc = StatsDocument(output);
        return doc is not null && doc.RootElement.TryGetProperty("container_statistics", out var all) && all.ValueKind == JsonValueKind.Array && all.GetArrayLength() > 0
            && all[0].TryGetProperty("Id", out var id) ? id.GetString() : null;
    }

    /// <summary>The JSON object on a command's output (from its first '{' to its last '}'); null when there is none.</summary>
    private static JsonDocument? StatsDocument(string output)
    {
        var start = output.IndexOf('{', StringComparison.Ordinal);
        var end = output.LastIndexOf('}');
        if (start < 0 || end < start)
            return null;
        try
        {
            return JsonDocument.Parse(output[start..(end + 1)]);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Words(CommandResult r)
    {
        var text = r.Output.Trim();
        return text.Length == 0 ? "no output" : string.Join('\n', text.Split('\n').TakeLast(12));
    }
}

/// <summary>How a Podman checkpoint or restore ended: Podman's own words on failure, its stats on success.</summary>
public sealed record PodmanOutcome(bool Succeeded, string Reason, PodmanStats? Stats, TimeSpan WallClock);

/// <summary>Podman failed where the agent needed an answer; its own words.</summary>
public sealed class PodmanException : Exception
{
    public PodmanException() { }
    public PodmanException(string message) : base(message) { }
    public PodmanException(string message, Exception inner) : base(message, inner) { }
}
