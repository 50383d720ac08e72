using System.Net;
using k8s;
using k8s.Autorest;
using k8s.ClientSets;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// Waits for a condition on the pods a selector picks, the way controllers do: list, then watch from the list's
/// resourceVersion with bookmarks; when the stream ends (server timeout, a dropped connection) resume from the last
/// resourceVersion seen (bookmarks keep it fresh); on 410 Gone the version is too old, so list again. Retries back off
/// with jitter.
/// </summary>
public sealed partial class PodWatch(k8s.Kubernetes client, ILogger logger, TimeProvider time) : KubernetesWatch(time)
{
    /// <summary>
    /// Returns the first pod for which <paramref name="done"/> answers true, or throws <see cref="PodWatchFailedException"/>
    /// when <paramref name="failed"/> answers a reason. Cancelled by <paramref name="cancellationToken"/>.
    /// </summary>
    public Task<V1Pod> UntilAsync(string ns, string? labelSelector, string? fieldSelector, Func<V1Pod, bool> done,
        Func<V1Pod, string?> failed, CancellationToken cancellationToken) =>
        WatchAsync(ns, labelSelector, fieldSelector, done, failed, untilDeleted: false, cancellationToken);

    /// <summary>Completes when no pod named <paramref name="name"/> is left in <paramref name="ns"/> (a DELETED event, or a list without it).</summary>
    public Task UntilDeletedAsync(string ns, string name, CancellationToken cancellationToken) =>
        WatchAsync(ns, null, $"metadata.name={name}", _ => false, _ => null, untilDeleted: true, cancellationToken);

    private async Task<V1Pod> WatchAsync(string ns, string? labelSelector, string? fieldSelector, Func<V1Pod, bool> done,
        Func<V1Pod, string?> failed, bool untilDeleted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(failed);
        var pods = new ClientSet(client).CoreV1.Pod;
        string? resourceVersion = null;
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (resourceVersion is null)
            {
                V1PodList list;
                try
                {
                    list = await client.CoreV1.ListNamespacedPodAsync(ns, fieldSelector: fieldSelector, labelSelector: labelSelector,
                        cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (HttpOperationException e) when (IsTransient(e))
                {
                    // 429 (API priority and fairness) and 5xx pass: list again after a back-off.
                    LogResume(ns, labelSelector ?? fieldSelector ?? "", null, KubernetesPods.Describe(e, "list pods"));
                    attempt = await ListFailedAsync(attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (untilDeleted && list.Items.Count == 0)
                    return null!;
                foreach (var pod in list.Items)
                    if (!untilDeleted && Check(pod, done, failed))
                        return pod;
                resourceVersion = list.ResourceVersion();
            }

            Exception? error = null;
            var events = 0;
            try
            {
                await foreach (var (type, pod) in pods.WatchListAsync(ns, allowWatchBookmarks: true, fieldSelector: fieldSelector,
                    labelSelector: labelSelector, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds,
                    onError: e => error ??= e, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    events++;
                    if (pod?.Metadata?.ResourceVersion is { Length: > 0 } rv)
                        resourceVersion = rv;
                    if (type is WatchEventType.Deleted && pod is not null)
                    {
                        // The pod waited for is gone: what a delete waits for, and for a pod that should become Ready a failure.
                        if (untilDeleted)
                            return pod;
                        throw new PodWatchFailedException($"pod {pod.Name()} was deleted{(pod.Metadata?.DeletionTimestamp is null ? "" : " (by a controller or an operator)")}");
                    }
                    if (!untilDeleted && type is WatchEventType.Added or WatchEventType.Modified && pod is not null && Check(pod, done, failed))
                        return pod;
                }
            }
            catch (Exception e) when (EndsStream(e))
            {
                error = e;
            }

            var selector = labelSelector ?? fieldSelector ?? "";
            var seenVersion = resourceVersion;
            (var relist, attempt) = await StreamEndedAsync(error, events, attempt, () => LogRelist(ns, selector, seenVersion),
                reason => LogResume(ns, selector, seenVersion, reason), cancellationToken).ConfigureAwait(false);
            if (relist)
                resourceVersion = null;
        }
    }

    private static bool Check(V1Pod pod, Func<V1Pod, bool> done, Func<V1Pod, string?> failed)
    {
        if (failed(pod) is { } reason)
            throw new PodWatchFailedException(reason);
        return done(pod);
    }

    /// <summary>What a real API server answers under load or while restarting, and a client retries: 429 and 5xx.</summary>
    internal static bool IsTransient(HttpOperationException e) =>
        e.Response?.StatusCode is HttpStatusCode.TooManyRequests || (int?)e.Response?.StatusCode >= 500;

    internal static bool IsGone(Exception? error) => error switch
    {
        KubernetesException k => k.Status?.Code == (int)HttpStatusCode.Gone,
        HttpOperationException h => h.Response?.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    /// <summary>Exponential back-off with full jitter, capped; every watch of the runtime backs off this way.</summary>
    internal static TimeSpan Backoff(int attempt, TimeSpan initial, TimeSpan max)
    {
        var cap = Math.Min(max.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 16)));
        return TimeSpan.FromMilliseconds(cap / 2 + Random.Shared.NextDouble() * cap / 2);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of pods in {Namespace} ({Selector}) expired at resourceVersion {ResourceVersion} (410 Gone): listing again")]
    private partial void LogRelist(string @namespace, string selector, string? resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of pods in {Namespace} ({Selector}) ended at resourceVersion {ResourceVersion}: {Reason}; resuming")]
    private partial void LogResume(string @namespace, string selector, string? resourceVersion, string reason);
}

/// <summary>The watched pod reached a state it cannot leave (failed, image not pullable, ...).</summary>
public sealed class PodWatchFailedException(string reason) : Exception(reason);
