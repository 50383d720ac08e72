using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Capacity;

/// <summary>
/// When a new migration is predicted to get one of the engine's slots (<see cref="Execution.EngineOptions.MaxConcurrentPerCluster"/>
/// per cluster, <see cref="Execution.EngineOptions.MaxOutboundPerNode"/> per source node): the migrations that hold or
/// wait for a slot are played forward in the engine's order (oldest first), each holding its slot for its predicted
/// run from its predicted start (<see cref="MigrationPlan.PredictedRunMs"/>: the engine holds the slot through the profile and
/// the clean-up too, which the model's migration time leaves out), and the new one takes the first slot that frees under both limits.
/// </summary>
public static class SlotForecast
{
    /// <summary>Milliseconds from <paramref name="now"/> until a migration of <paramref name="cluster"/> leaving <paramref name="source"/> gets a slot, not before <paramref name="notBeforeMs"/>.</summary>
    public static double WaitMs(IEnumerable<Migration> unfinished, ClusterId cluster, NodeId source, int perCluster, int perNode,
        DateTimeOffset now, double notBeforeMs = 0)
    {
        ArgumentNullException.ThrowIfNull(unfinished);
        var clusterEnds = new List<double>();
        var nodeEnds = new List<double>();
        var queued = new List<Migration>();
        foreach (var m in unfinished)
        {
            if (m.ClusterId != cluster || m.IsTerminal)
                continue;
            if (m.State == MigrationState.Queued)
            {
                queued.Add(m);
                continue;
            }
            var end = m.StartedAt is { } started ? Math.Max(0, (started - now).TotalMilliseconds + m.Plan.PredictedRunMs) : 0;
            clusterEnds.Add(end);
            if (m.Source == source)
                nodeEnds.Add(end);
        }
        queued.Sort((a, b) => a.CreatedAt != b.CreatedAt ? a.CreatedAt.CompareTo(b.CreatedAt) : a.Id.Value.CompareTo(b.Id.Value));
        foreach (var m in queued)
        {
            var own = Math.Max(0, (m.CreatedAt - now).TotalMilliseconds + m.Plan.PredictedStartMs);
            var start = Earliest(clusterEnds, perCluster, m.Source == source ? nodeEnds : null, perNode, own, m.Source, source, out var nodeList);
            var end = start + m.Plan.PredictedRunMs;
            Take(clusterEnds, perCluster, end);
            if (nodeList is not null)
                Take(nodeList, perNode, end);
        }
        return Earliest(clusterEnds, perCluster, nodeEnds, perNode, notBeforeMs, source, source, out _);
    }

    /// <summary>The first time at or after <paramref name="notBefore"/> when a slot is free in the cluster (and on the node, when it counts).</summary>
    private static double Earliest(List<double> clusterEnds, int perCluster, List<double>? nodeEnds, int perNode, double notBefore,
        NodeId of, NodeId source, out List<double>? nodeList)
    {
        nodeList = of == source ? nodeEnds : null;
        var at = Math.Max(notBefore, FreeAt(clusterEnds, perCluster));
        if (nodeList is not null)
            at = Math.Max(at, FreeAt(nodeList, perNode));
        return at;
    }

    /// <summary>When the first of <paramref name="slots"/> slots frees, given the ends of those held.</summary>
    private static double FreeAt(List<double> ends, int slots)
    {
        if (ends.Count < slots)
            return 0;
        ends.Sort();
        return ends[ends.Count - slots];
    }

    /// <summary>Replaces the slot that freed earliest with one held until <paramref name="end"/>.</summary>
    private static void Take(List<double> ends, int slots, double end)
    {
        if (ends.Count >= slots)
        {
            ends.Sort();
            ends.RemoveAt(0);
        }
        ends.Add(end);
    }
}
