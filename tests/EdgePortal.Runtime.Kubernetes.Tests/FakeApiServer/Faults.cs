using System.Collections.Concurrent;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>The API operations the fake serves, which are exactly those the runtime calls.</summary>
public enum Operation
{
    ListNodes,
    ReadNode,
    ListPods,
    WatchPods,
    ReadPod,
    CreatePod,
    PatchPod,
    DeletePod,
    ReadService,
    PatchService,
    ReadEndpoints,
    ReadPersistentVolumeClaim,
    ReadReplicaSet,
    ReadStatefulSet,
    PatchStatefulSet,
    ListEdgeMigrations,
    WatchEdgeMigrations,
    ReadEdgeMigration,
    PatchEdgeMigration,
    ReplaceEdgeMigrationStatus,
}

/// <summary>An answer the fake gives instead of the real one.</summary>
public abstract record Fault
{
    /// <summary>This status and body (a Status JSON by default, or plain text as the kubelet writes it).</summary>
    public sealed record Answer(int Code, string Body, string ContentType = "application/json") : Fault;

    /// <summary>A Kubernetes Status body with this code, reason and message.</summary>
    public static Answer Status(int code, string reason, string message) =>
        new(code, FakeKubeApiServer.StatusJson(code, reason, message));

    /// <summary>Never answers: holds the request until the client gives up.</summary>
    public sealed record Hang : Fault;

    /// <summary>Watch only: streams normally, then drops the connection after this many events (bookmarks counted only with <paramref name="CountBookmarks"/>).</summary>
    /// <remarks>
    /// A drop resets the connection, so what was written just before may not reach the client (as on a real network);
    /// <paramref name="Graceful"/> ends the stream properly instead, as the API server does when a watch's timeout expires.
    /// </remarks>
    public sealed record DropAfter(int Events, bool CountBookmarks = false, bool Graceful = false) : Fault;

    /// <summary>Holds the request until <paramref name="Release"/> completes, then serves it normally.</summary>
    public sealed record Hold(Task Release) : Fault;

    /// <summary>Watch only: answers 200 with one ERROR event, a Status 410 Expired ("too old resource version"), and ends.</summary>
    public sealed record Gone : Fault;
}

/// <summary>How a fake server gives a fault instead of its answer.</summary>
internal static class FaultAnswers
{
    /// <summary>
    /// Answers <paramref name="c"/> with <paramref name="fault"/> and returns true (an answer, or a hang until the client
    /// gives up); for a hold, waits for its release and returns false: the request is then served normally, as without a fault.
    /// </summary>
    internal static async Task<bool> AnsweredAsync(Microsoft.AspNetCore.Http.HttpContext c, Fault? fault)
    {
        switch (fault)
        {
            case Fault.Answer answer:
                c.Response.StatusCode = answer.Code;
                c.Response.ContentType = answer.ContentType;
                await Microsoft.AspNetCore.Http.HttpResponseWritingExtensions.WriteAsync(c.Response, answer.Body);
                return true;
            case Fault.Hang:
                try
                {
                    await Task.Delay(Timeout.Infinite, c.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                }
                return true;
            case Fault.Hold hold:
                await hold.Release.WaitAsync(c.RequestAborted);
                return false;
            default:
                return false;
        }
    }
}

/// <summary>Faults queued per operation: each request of that operation takes the next one, until none are left.</summary>
public sealed class FaultPlan
{
    private readonly ConcurrentDictionary<Operation, ConcurrentQueue<Fault>> _next = new();
    private readonly ConcurrentDictionary<Operation, Fault> _always = new();

    /// <summary>The next <paramref name="times"/> requests of <paramref name="operation"/> get <paramref name="fault"/>.</summary>
    public void Next(Operation operation, Fault fault, int times = 1)
    {
        var queue = _next.GetOrAdd(operation, _ => new ConcurrentQueue<Fault>());
        for (var i = 0; i < times; i++)
            queue.Enqueue(fault);
    }

    /// <summary>Every request of <paramref name="operation"/> gets <paramref name="fault"/> until <see cref="Clear"/>.</summary>
    public void Always(Operation operation, Fault fault) => _always[operation] = fault;

    public void Clear(Operation operation)
    {
        _always.TryRemove(operation, out _);
        _next.TryRemove(operation, out _);
    }

    internal Fault? Take(Operation operation) =>
        _next.TryGetValue(operation, out var queue) && queue.TryDequeue(out var fault) ? fault : _always.GetValueOrDefault(operation);
}
