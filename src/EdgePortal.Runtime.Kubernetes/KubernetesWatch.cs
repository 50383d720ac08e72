using System.Net;
using k8s;
using k8s.Autorest;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// What every watch of the runtime shares, the way controllers watch (KubeOps): the server keeps one watch open
/// <see cref="WatchTimeoutSeconds"/>; a stream that ends (server timeout, dropped connection, 429 or 5xx) is resumed from
/// the last resourceVersion seen, after a back-off with full jitter when it delivered nothing; 410 Gone means that version
/// is compacted, so the caller lists again. <see cref="PodWatch"/> and the EdgeMigration watch derive from it.
/// </summary>
public abstract class KubernetesWatch(TimeProvider time)
{
    /// <summary>How long the server keeps one watch open before the client resumes.</summary>
    public int WatchTimeoutSeconds { get; init; } = 60;

    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Relists done because the server answered 410 Gone; for tests and diagnostics.</summary>
    public int Relists { get; private set; }

    /// <summary>Watches resumed after a stream ended without an error, or with one that is retried.</summary>
    public int Resumes { get; private set; }

    protected TimeProvider Time => time;

    /// <summary>Whether <paramref name="e"/> ends a watch stream in a way that is resumed or relisted rather than failed.</summary>
    protected static bool EndsStream(Exception e) =>
        e is HttpOperationException h && (h.Response?.StatusCode == HttpStatusCode.Gone || PodWatch.IsTransient(h)) || e is HttpRequestException or IOException;

    /// <summary>
    /// After a stream ended (with <paramref name="error"/>, or null when the server closed it, having delivered
    /// <paramref name="events"/>): true when the caller must list again (410 Gone); otherwise the resume is counted and, when
    /// the stream delivered nothing, backed off. Returns the attempt count to carry to the next stream.
    /// </summary>
    protected async Task<(bool Relist, int Attempt)> StreamEndedAsync(Exception? error, int events, int attempt, Action logRelist,
        Action<string> logResume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(logRelist);
        ArgumentNullException.ThrowIfNull(logResume);
        if (PodWatch.IsGone(error))
        {
            Relists++;
            logRelist();
            return (true, 0);
        }
        Resumes++;
        attempt = events > 0 ? 0 : attempt + 1;
        if (error is not null)
            logResume(error.Message);
        if (attempt > 0)
            await Task.Delay(Backoff(attempt), time, cancellationToken).ConfigureAwait(false);
        return (false, attempt);
    }

    /// <summary>A list (not a watch) answered 429 or 5xx, or cut: counted as a resume, then backed off.</summary>
    protected async Task<int> ListFailedAsync(int attempt, CancellationToken cancellationToken)
    {
        Resumes++;
        await Task.Delay(Backoff(++attempt), time, cancellationToken).ConfigureAwait(false);
        return attempt;
    }

    protected TimeSpan Backoff(int attempt) => PodWatch.Backoff(attempt, InitialBackoff, MaxBackoff);
}
