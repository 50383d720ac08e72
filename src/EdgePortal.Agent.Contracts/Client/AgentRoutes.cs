namespace EdgePortal.Agent.Contracts;

/// <summary>
/// The agent's routes, as the agent maps them and the <see cref="AgentApiClient"/> calls them: one list, so the two cannot
/// drift apart. Route values in braces are filled by <see cref="Path"/>.
/// </summary>
public static class AgentRoutes
{
    /// <summary>GET, anonymous: "ok" while the agent serves.</summary>
    public const string Health = "/healthz";

    /// <summary>GET: <see cref="CriuCapabilities"/>.</summary>
    public const string CriuCapabilities = "/criu/capabilities";

    /// <summary>GET: every registered <see cref="CriuWorkload"/>.</summary>
    public const string Workloads = "/criu/workloads";

    /// <summary>GET, PUT (<see cref="CriuWorkloadRegistration"/>), DELETE: one workload.</summary>
    public const string Workload = "/criu/workloads/{name}";

    /// <summary>POST <see cref="CriuDumpCall"/>: <see cref="CriuDumpAnswer"/>.</summary>
    public const string Dumps = "/criu/dumps";

    /// <summary>PUT (a peer agent's tar stream, <c>?merge=true</c> to add): <see cref="CriuReceived"/>; DELETE: the images.</summary>
    public const string Images = "/criu/images/{id}";

    /// <summary>POST <see cref="CriuSendCall"/>: <see cref="CriuSendAnswer"/>.</summary>
    public const string SendImages = "/criu/images/{id}/send";

    /// <summary>POST: <see cref="CriuPageServerAnswer"/>.</summary>
    public const string PageServer = "/criu/images/{id}/page-server";

    /// <summary>POST <see cref="CriuRestoreCall"/>: <see cref="CriuRestoreAnswer"/>.</summary>
    public const string Restore = "/criu/images/{id}/restore";

    /// <summary>POST, on a post-copy's destination: waits for the last page of the lazily restored images {id}: <see cref="CriuPageInAnswer"/>.</summary>
    public const string PageIn = "/criu/images/{id}/page-in";

    /// <summary>POST, on a post-copy's source: waits for the lazy dump of images {id} to end (every page sent): <see cref="CriuDumpAnswer"/>.</summary>
    public const string LazyDump = "/criu/images/{id}/lazy-dump";

    /// <summary>DELETE: kill the tree restored from images {id}.</summary>
    public const string Restored = "/criu/restored/{id}";

    /// <summary>POST <see cref="AddressCall"/> to add, remove or announce (<see cref="AddressAction"/>): <see cref="AddressAnswer"/>.</summary>
    public const string Addresses = "/net/addresses/{action}";

    /// <summary>POST <see cref="CheckpointImageRequest"/>: <see cref="CheckpointImageResult"/>.</summary>
    public const string CheckpointImage = "/checkpoints/{id}/image";

    /// <summary>DELETE: the kubelet's checkpoint archive {id} in the agent's checkpoint directory (after the migration, whatever its outcome).</summary>
    public const string Checkpoint = "/checkpoints/{id}";

    /// <summary>POST <see cref="KubeletCheckpointCall"/>: <see cref="KubeletCheckpointAnswer"/> (the node's kubelet checkpoints a container).</summary>
    public const string KubeletCheckpoints = "/kubelet/checkpoints";

    /// <summary>POST <see cref="ImagePullCall"/>: <see cref="ImagePullAnswer"/> (crictl pull on this node).</summary>
    public const string ImagePulls = "/kubelet/image-pulls";

    /// <summary>POST <see cref="RegistryImageDeletion"/>: 204 deleted, 404 not there.</summary>
    public const string RegistryImageDeletions = "/registry/image-deletions";

    /// <summary>PUT (a peer agent's OCI layout tar stream): <see cref="ReceivedImage"/>.</summary>
    public const string ReceivedImage = "/images/{name}";

    /// <summary>GET: every recent <see cref="TransferStatus"/>.</summary>
    public const string Transfers = "/transfers";

    /// <summary>GET: one <see cref="TransferStatus"/>.</summary>
    public const string Transfer = "/transfers/{id}";

    /// <summary>The route relative to an agent's base URL, its one route value (if any) escaped in place.</summary>
    public static string Path(string route, string? value = null)
    {
        ArgumentNullException.ThrowIfNull(route);
        var path = route.TrimStart('/');
        var open = path.IndexOf('{', StringComparison.Ordinal);
        if (open < 0)
            return path;
        ArgumentNullException.ThrowIfNull(value);
        var close = path.IndexOf('}', open);
        return string.Concat(path.AsSpan(0, open), Uri.EscapeDataString(value), path.AsSpan(close + 1));
    }
}
