using EdgePortal.Core.Domain;

namespace EdgePortal.Runtime.Simulated;

/// <summary>What a replica of a service is doing on a node, as the twin sees it.</summary>
public enum ReplicaRole
{
    /// <summary>Running and receiving the service's traffic.</summary>
    Serving,
    /// <summary>Stopped by a stop-and-copy checkpoint or a replay cutoff; a rollback resumes it.</summary>
    Frozen,
    /// <summary>Restored at the destination, not yet receiving traffic (replaying, or waiting for the switch).</summary>
    Standby,
    /// <summary>The old source after the traffic switch, until the clean-up removes it.</summary>
    Retired,
}

public sealed record SimulatedReplica(NodeId Node, ReplicaRole Role);

/// <summary>
/// A snapshot of one service in the twin: its replicas, the migration that touched it last and, while a
/// message-replay migration is in flight, the messages queued for the target since the checkpoint.
/// </summary>
public sealed record SimulatedServiceState(ServiceId Service, MigrationId? Migration, IReadOnlyList<SimulatedReplica> Replicas,
    double? QueuedMessages)
{
    public NodeId? ServingOn => Replicas.FirstOrDefault(r => r.Role == ReplicaRole.Serving)?.Node;

    public ReplicaRole? RoleOn(NodeId node) => Replicas.FirstOrDefault(r => r.Node == node)?.Role;
}

/// <summary>
/// The state of the simulated edge, shared by every migration the simulator runs (a singleton): which nodes
/// are down (fault injection), where each service's replicas are, which transfers share which path, and the
/// message queues of replay migrations. Everything lives in memory; the engine persists what matters.
/// Thread-safe: every read and write goes through one lock, none of them waits for anything.
/// </summary>
public sealed class SimulatedEdge
{
    private readonly Lock _gate = new();
    private readonly HashSet<NodeId> _down = [];
    private readonly Dictionary<NodeId, EdgeNode> _seen = [];
    private readonly Dictionary<ServiceId, ServiceTwin> _services = [];

    /// <summary>Takes a node down (every step touching it fails as if it refused connections) or brings it back.</summary>
    public void SetNodeDown(NodeId node, bool down)
    {
        lock (_gate)
        {
            if (down)
                _down.Add(node);
            else
                _down.Remove(node);
        }
    }

    /// <summary>Whether the node was taken down with <see cref="SetNodeDown"/>.</summary>
    public bool IsNodeDown(NodeId node)
    {
        lock (_gate)
            return _down.Contains(node);
    }

    public IReadOnlyCollection<NodeId> DownNodes
    {
        get
        {
            lock (_gate)
                return [.. _down];
        }
    }

    /// <summary>The twin's view of a service, or null when no migration of it has run since start.</summary>
    public SimulatedServiceState? Service(ServiceId service)
    {
        lock (_gate)
            return _services.TryGetValue(service, out var twin) ? twin.Snapshot() : null;
    }

    /// <summary>Transfers (and pre-dump rounds) currently sending from <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public int ActiveTransfers(NodeId source, NodeId destination)
        => Links.Sending(o => o is Transfer t && t.Source == source && t.Destination == destination);

    /// <summary>A node is down when it was taken down here, or when the inventory says so.</summary>
    internal bool IsDown(EdgeNode node) => node.Status == NodeStatus.Down || IsNodeDown(node.Id);

    internal void Observe(EdgeNode node)
    {
        lock (_gate)
            _seen[node.Id] = node;
    }

    /// <summary>The nodes of a cluster the simulator has met in steps (when no inventory is at hand).</summary>
    internal IReadOnlyList<EdgeNode> SeenNodes(ClusterId cluster)
    {
        lock (_gate)
            return [.. _seen.Values.Where(n => n.ClusterId == cluster)];
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the service's twin under the lock. A migration the twin has not seen
    /// before starts from the engine's truth: one replica serving on the migration's source.
    /// </summary>
    internal T WithService<T>(ServiceId service, MigrationId migration, NodeId source, Func<ServiceTwin, T> action)
    {
        lock (_gate)
        {
            if (!_services.TryGetValue(service, out var twin))
                _services[service] = twin = new ServiceTwin(service);
            if (twin.Migration != migration)
                twin.Reset(migration, source);
            return action(twin);
        }
    }

    /// <summary>How transfers share the links (max-min fair along their paths, recomputed at every start and end).</summary>
    public LinkSharing Links { get; } = new();

    /// <summary>Who sends a transfer: the migration and its node pair.</summary>
    internal sealed record Transfer(MigrationId Migration, NodeId Source, NodeId Destination);

    /// <summary>
    /// One service in the twin. Only touched under the edge's lock (through <see cref="WithService{T}"/>).
    /// Time here is the migration's virtual clock: the simulated milliseconds of its steps, summed.
    /// </summary>
    internal sealed class ServiceTwin(ServiceId id)
    {
        private readonly List<SimulatedReplica> _replicas = [];

        public ServiceId Id { get; } = id;
        public MigrationId? Migration { get; private set; }
        /// <summary>Simulated ms since the migration's first step.</summary>
        public double ClockMs { get; set; }
        /// <summary>When the live checkpoint started, on <see cref="ClockMs"/>: the origin of the message queue.</summary>
        public double? CheckpointAtMs { get; set; }
        /// <summary>λ, messages/s, arriving since the checkpoint.</summary>
        public double ArrivalRate { get; set; }
        /// <summary>Messages the target has replayed since the checkpoint.</summary>
        public double ReplayedMessages { get; set; }
        /// <summary>When the cutoff stopped the source, on <see cref="ClockMs"/>: no message arrives after it.</summary>
        public double? SourceStoppedAtMs { get; set; }
        /// <summary>Simulated duration of the last dump round (pre-dump or checkpoint); what the next round's dirty pages depend on.</summary>
        public double? LastRoundMs { get; set; }
        /// <summary>Bytes of the last dump image, what the transfer carries.</summary>
        public double? LastDumpBytes { get; set; }
        /// <summary>Whether pages or images were sent to the destination (what a rollback deletes there).</summary>
        public bool SentToDestination { get; set; }
        /// <summary>A post-copy switched to the destination: from here it only goes forward.</summary>
        public bool ResumedAtDestination { get; set; }
        /// <summary>True until the simulator runs a step of the migration: a rollback then goes by the engine's record.</summary>
        public bool Fresh { get; set; }

        public IReadOnlyList<SimulatedReplica> Replicas => _replicas;

        public void Reset(MigrationId migration, NodeId source)
        {
            Migration = migration;
            ClockMs = 0;
            CheckpointAtMs = null;
            ArrivalRate = 0;
            ReplayedMessages = 0;
            SourceStoppedAtMs = null;
            LastRoundMs = null;
            LastDumpBytes = null;
            SentToDestination = false;
            ResumedAtDestination = false;
            Fresh = true;
            _replicas.Clear();
            _replicas.Add(new SimulatedReplica(source, ReplicaRole.Serving));
        }

        public ReplicaRole? RoleOn(NodeId node) => _replicas.FirstOrDefault(r => r.Node == node)?.Role;

        public void Set(NodeId node, ReplicaRole role)
        {
            _replicas.RemoveAll(r => r.Node == node);
            _replicas.Add(new SimulatedReplica(node, role));
        }

        public bool Remove(NodeId node) => _replicas.RemoveAll(r => r.Node == node) > 0;

        /// <summary>Messages waiting for the target: those that arrived since the checkpoint (until a cutoff stopped the source) less those replayed.</summary>
        public double? QueuedMessages => CheckpointAtMs is { } at && ArrivalRate > 0
            ? Math.Max(0, ArrivalRate * Math.Max(0, Math.Min(ClockMs, SourceStoppedAtMs ?? double.PositiveInfinity) - at) / 1_000 - ReplayedMessages)
            : null;

        public void ClearQueue()
        {
            CheckpointAtMs = null;
            ArrivalRate = 0;
            ReplayedMessages = 0;
            SourceStoppedAtMs = null;
        }

        public SimulatedServiceState Snapshot() => new(Id, Migration, [.. _replicas], QueuedMessages);
    }
}
