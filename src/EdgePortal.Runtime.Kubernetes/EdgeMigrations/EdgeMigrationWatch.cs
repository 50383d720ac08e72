using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes.EdgeMigrations;

/// <summary>
/// Follows the EdgeMigrations of every namespace of a cluster the way <see cref="PodWatch"/> follows pods: list, then watch
/// from the list's resourceVersion with bookmarks; a stream that ends (server timeout, dropped connection) resumes from the
/// last resourceVersion seen; 410 Gone lists again; 429, 5xx and connection errors back off with jitter (the rules of
/// <see cref="KubernetesWatch"/>). Runs until cancelled.
/// </summary>
public sealed partial class EdgeMigrationWatch(k8s.Kubernetes client, ILogger logger, TimeProvider time) : KubernetesWatch(time)
{
    /// <summary>Lists answered 404 (the CRD is not installed) or 403 (not granted), each followed by the longest back-off.</summary>
    public int Unavailable { get; private set; }

    /// <summary>
    /// Calls <paramref name="listed"/> with every resource after each list (the first and each relist: what is not in it
    /// is gone), and <paramref name="changed"/> with each ADDED, MODIFIED or DELETED event.
    /// </summary>
    public async Task RunAsync(Func<IReadOnlyList<EdgeMigration>, Task> listed, Func<WatchEventType, EdgeMigration, Task> changed,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listed);
        ArgumentNullException.ThrowIfNull(changed);
        string? resourceVersion = null;
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (resourceVersion is null)
            {
                EdgeMigrationList list;
                try
                {
                    list = await client.CustomObjects.ListCustomObjectForAllNamespacesAsync<EdgeMigrationList>(EdgeMigration.Group, EdgeMigration.Version,
                        EdgeMigration.Plural, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (e.Response?.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Forbidden)
                {
                    // Not installed or not granted: said once per attempt, and tried again at the longest back-off, never fatal.
                    Unavailable++;
                    LogUnavailable(e.Response.StatusCode == System.Net.HttpStatusCode.NotFound
                        ? "the CRD edgemigrations.edgeportal.io is not installed (deploy/base/crd-edgemigration.yaml)"
                        : "the portal may not list edgemigrations (deploy/base/rbac-edgemigrations.yaml)");
                    await Task.Delay(MaxBackoff, Time, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (Exception e) when (e is HttpOperationException h && PodWatch.IsTransient(h) || e is HttpRequestException or IOException)
                {
                    LogResume(null, e is HttpOperationException http ? KubernetesPods.Describe(http, "list edgemigrations") : e.Message);
                    attempt = await ListFailedAsync(attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                await listed([.. list.Items]).ConfigureAwait(false);
                resourceVersion = list.Metadata?.ResourceVersion;
                attempt = 0;
            }

            Exception? error = null;
            var events = 0;
            try
            {
                await foreach (var (type, raw) in client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(EdgeMigration.Group,
                    EdgeMigration.Version, EdgeMigration.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion,
                    timeoutSeconds: WatchTimeoutSeconds, onError: e => error ??= e, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    events++;
                    var resource = raw is null ? null : KubernetesJson.Deserialize<EdgeMigration>(KubernetesJson.Serialize(raw));
                    if (resource?.Metadata?.ResourceVersion is { Length: > 0 } rv)
                        resourceVersion = rv;
                    if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted && resource is not null)
                        await changed(type, resource).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (EndsStream(e))
            {
                error = e;
            }

            var seenVersion = resourceVersion;
            (var relist, attempt) = await StreamEndedAsync(error, events, attempt, () => LogRelist(seenVersion), reason => LogResume(seenVersion, reason),
                cancellationToken).ConfigureAwait(false);
            if (relist)
                resourceVersion = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "EdgeMigrations cannot be listed: {Reason}; trying again")]
    private partial void LogUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of edgemigrations expired at resourceVersion {ResourceVersion} (410 Gone): listing again")]
    private partial void LogRelist(string? resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of edgemigrations ended at resourceVersion {ResourceVersion}: {Reason}; resuming")]
    private partial void LogResume(string? resourceVersion, string reason);
}
