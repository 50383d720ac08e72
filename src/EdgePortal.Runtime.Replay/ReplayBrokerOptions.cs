namespace EdgePortal.Runtime.Replay;

/// <summary>
/// The RabbitMQ broker a cluster's message-consuming services use, and how the portal replays through it (MS2M): a replay
/// queue bound to the service's fan-out exchange, control messages to the service's queues, replies on the portal's own.
/// The same section on an Agent cluster (<c>EdgePortal:Agent:Clusters:&lt;c&gt;:Broker</c>) and a Kubernetes one
/// (<c>EdgePortal:Kubernetes:Clusters:&lt;c&gt;:Broker</c>).
/// </summary>
public sealed class ReplayBrokerOptions
{
    /// <summary>The broker as the portal reaches it, e.g. <c>amqp://edgeportal:secret@10.0.0.2:5672/</c>.</summary>
    public string? Uri { get; set; }

    /// <summary>Service name → its fan-out exchange and the queue it consumes. A service without an entry cannot be replayed.</summary>
    public Dictionary<string, MessageServiceOptions> Services { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The replay has caught up when at most this many messages wait in the replay queue.</summary>
    public int DrainedMessages { get; set; } = 20;

    /// <summary>How long a replay (or the drain after a cutoff, or the switch) may take before the migration fails.</summary>
    public TimeSpan ReplayTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the portal waits for a service's answer to a control message (marker, pause, resume, exit).</summary>
    public TimeSpan ReplyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Every rule the section breaks, each naming its key under <paramref name="key"/> (the section's own key).</summary>
    public IReadOnlyList<string> Failures(string key)
    {
        var failures = new List<string>();
        if (!(System.Uri.TryCreate(Uri, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" && uri.Host.Length > 0))
            failures.Add($"{key}:Uri must be the broker's amqp:// or amqps:// URI, e.g. amqp://edgeportal:secret@10.0.0.2:5672/, got '{Uri}'.");
        if (Services.Count == 0)
            failures.Add($"{key}:Services must name at least one message-consuming service with its Exchange and Queue.");
        foreach (var (service, s) in Services)
        {
            if (string.IsNullOrWhiteSpace(s?.Exchange) || s.Exchange.Length > 200)
                failures.Add($"{key}:Services:{service}:Exchange must be the service's fan-out exchange (1 to 200 characters).");
            // The replay and resume queues are named after the service's queue with a migration id: 255 is AMQP's limit.
            if (string.IsNullOrWhiteSpace(s?.Queue) || s.Queue.Length > 190)
                failures.Add($"{key}:Services:{service}:Queue must be the queue the service consumes (1 to 190 characters).");
        }
        if (DrainedMessages < 0)
            failures.Add($"{key}:DrainedMessages must be zero or more, got {DrainedMessages}.");
        if (ReplayTimeout <= TimeSpan.Zero)
            failures.Add($"{key}:ReplayTimeout must be positive, got {ReplayTimeout}.");
        if (ReplyTimeout <= TimeSpan.Zero)
            failures.Add($"{key}:ReplyTimeout must be positive, got {ReplyTimeout}.");
        return failures;
    }
}

/// <summary>Where one message-consuming service gets its messages.</summary>
public sealed class MessageServiceOptions
{
    /// <summary>The fan-out exchange its messages are published to.</summary>
    public string? Exchange { get; set; }

    /// <summary>The queue it consumes (bound to <see cref="Exchange"/>).</summary>
    public string? Queue { get; set; }
}
