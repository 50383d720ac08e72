using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>One request the fake received.</summary>
public sealed record RecordedRequest(Operation? Operation, string Method, string Path, IReadOnlyDictionary<string, string> Query, string? ContentType, string Body)
{
    public string? this[string parameter] => Query.GetValueOrDefault(parameter);
}

/// <summary>
/// An in-process Kubernetes API server on Kestrel (127.0.0.1, a random port) serving exactly what
/// <see cref="KubernetesEdgeRuntime"/> calls: nodes list/get; pods list, watch (a chunked stream of JSON lines with
/// BOOKMARK events, resumable from a resourceVersion, 410 Gone when that version is compacted), get, create, patch,
/// delete; Services get and patch (no node proxy: the checkpoint is the node agent's call to its kubelet, <see cref="FakeKubeletServer"/>). It validates what it receives as
/// the API server does — bodies deserialised into the k8s model types with unknown fields refused, names, labels and
/// selectors checked, the patch Content-Type honoured and the patch applied, immutable pod fields protected — and
/// answers anything malformed or unexpected with a Status body. Every such refusal is also kept in
/// <see cref="Rejections"/>, so a test ends with <see cref="AssertNoRejections"/> and a runtime bug fails it even when
/// the runtime swallowed the error. Requests need the bearer <see cref="Token"/>.
/// </summary>
public sealed partial class FakeKubeApiServer : IAsyncDisposable
{
    public const string Token = "fake-api-server-token-0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<string> _rejections = new();
    private readonly Lock _waitersGate = new();
    private readonly List<(Func<RecordedRequest, bool> Match, TaskCompletionSource<RecordedRequest> Done)> _waiters = [];
    private int _openWatches;

    private FakeKubeApiServer(WebApplication app)
    {
        _app = app;
        Kubelet = new FakeKubelet(State);
        Controllers = new FakeControllers(State, Kubelet);
    }

    public FakeClusterState State { get; } = new();
    public FakeKubelet Kubelet { get; }

    /// <summary>The ReplicaSet and StatefulSet controllers, run after every change the fake accepts.</summary>
    public FakeControllers Controllers { get; }
    public FaultPlan Faults { get; } = new();
    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];
    public IReadOnlyList<string> Rejections => [.. _rejections];

    /// <summary>Watches streaming now.</summary>
    public int OpenWatches => Volatile.Read(ref _openWatches);

    public static async Task<FakeKubeApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeKubeApiServer(app);
        server.Map(app);
        await app.StartAsync();
        server.BaseUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return server;
    }

    /// <summary>A kubeconfig naming this server, with a context <paramref name="context"/> and the bearer token.</summary>
    public string WriteKubeconfig(string directory, string context = "fake", string? token = Token)
    {
        var path = Path.Combine(directory, $"kubeconfig-{context}.yaml");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {BaseUri.ToString().TrimEnd('/')}
            users:
            - name: edgeportal
              user:
                token: {token}
            contexts:
            - name: {context}
              context:
                cluster: fake
                user: edgeportal
            current-context: {context}
            """);
        return path;
    }

    /// <summary>Completes with the first request (already received or still to come) that matches.</summary>
    public Task<RecordedRequest> WhenRequest(Func<RecordedRequest, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        var done = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waitersGate)
        {
            if (_requests.FirstOrDefault(match) is { } seen)
                return Task.FromResult(seen);
            _waiters.Add((match, done));
        }
        return done.Task;
    }

    /// <summary>Completes when the <paramref name="nth"/> watch of pods (1-based) has started streaming.</summary>
    public Task<RecordedRequest> WhenWatch(int nth)
    {
        var seen = 0;
        return WhenRequest(r => r.Operation == Operation.WatchPods && ++seen == nth);
    }

    public IReadOnlyList<RecordedRequest> RequestsOf(Operation operation) => [.. _requests.Where(r => r.Operation == operation)];

    public void AssertNoRejections() =>
        Assert.True(_rejections.IsEmpty, "the fake API server refused requests: " + string.Join(" | ", _rejections));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A Kubernetes Status body (written by hand: the client library's V1Status converter only reads).</summary>
    internal static string StatusJson(int code, string reason, string message) => new JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    }.ToJsonString();

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug of the fake itself: fail the test that hit it, loudly.
                _rejections.Enqueue($"the fake API server threw on {context.Request.Method} {context.Request.Path}: {e}");
                if (!context.Response.HasStarted)
                    await WriteStatus(context, 500, "InternalError", e.Message);
            }
        });
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
            {
                Record(null, context.Request, "");
                await WriteStatus(context, 401, "Unauthorized", "Unauthorized");
                return;
            }
            await next(context);
        });

        app.MapGet("/api/v1/nodes", (HttpContext c) => Serve(c, Operation.ListNodes, _ =>
        {
            var list = new V1NodeList { ApiVersion = "v1", Kind = "NodeList", Metadata = new V1ListMeta { ResourceVersion = Rv(State.Revision) }, Items = [.. State.Nodes().Select(Typed)] };
            return Json(c, 200, list);
        }));
        app.MapGet("/api/v1/nodes/{name}", (HttpContext c, string name) => Serve(c, Operation.ReadNode, _ =>
            State.Node(name) is { } node ? Json(c, 200, Typed(node)) : NotFound(c, "nodes", name)));

        app.MapGet("/api/v1/namespaces/{ns}/pods", (HttpContext c, string ns) =>
            c.Request.Query["watch"] is var w && (w == "true" || w == "1")
                ? Serve(c, Operation.WatchPods, _ => WatchPodsAsync(c, ns))
                : Serve(c, Operation.ListPods, _ => ListPods(c, ns)));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadPod, _ =>
            State.Pod(ns, name) is { } pod ? Json(c, 200, Typed(pod)) : NotFound(c, "pods", name)));
        app.MapPost("/api/v1/namespaces/{ns}/pods", (HttpContext c, string ns) => Serve(c, Operation.CreatePod, body => CreatePod(c, ns, body)));
        app.MapMethods("/api/v1/namespaces/{ns}/pods/{name}", ["PATCH"], (HttpContext c, string ns, string name) =>
            Serve(c, Operation.PatchPod, body => PatchPod(c, ns, name, body)));
        app.MapDelete("/api/v1/namespaces/{ns}/pods/{name}", (HttpContext c, string ns, string name) =>
            Serve(c, Operation.DeletePod, body => DeletePod(c, ns, name, body)));

        app.MapGet("/api/v1/namespaces/{ns}/services/{name}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadService, _ =>
            State.Service(ns, name) is { } svc ? Json(c, 200, Typed(svc)) : NotFound(c, "services", name)));
        app.MapMethods("/api/v1/namespaces/{ns}/services/{name}", ["PATCH"], (HttpContext c, string ns, string name) =>
            Serve(c, Operation.PatchService, body => PatchService(c, ns, name, body)));

        app.MapGet("/api/v1/namespaces/{ns}/endpoints/{name}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadEndpoints, _ =>
            Endpoints(ns, name) is { } endpoints ? Json(c, 200, Typed(endpoints, "v1", "Endpoints")) : NotFound(c, "endpoints", name)));
        app.MapGet("/api/v1/namespaces/{ns}/persistentvolumeclaims/{name}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadPersistentVolumeClaim, _ =>
            State.Get<V1PersistentVolumeClaim>(ns, name) is { } pvc ? Json(c, 200, Typed(pvc, "v1", "PersistentVolumeClaim")) : NotFound(c, "persistentvolumeclaims", name)));
        app.MapGet("/apis/apps/v1/namespaces/{ns}/replicasets/{name}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadReplicaSet, _ =>
            State.Get<V1ReplicaSet>(ns, name) is { } rs ? Json(c, 200, Typed(rs, "apps/v1", "ReplicaSet")) : NotFound(c, "replicasets.apps", name)));
        app.MapGet("/apis/apps/v1/namespaces/{ns}/statefulsets/{name}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadStatefulSet, _ =>
            State.Get<V1StatefulSet>(ns, name) is { } sts ? Json(c, 200, Typed(sts, "apps/v1", "StatefulSet")) : NotFound(c, "statefulsets.apps", name)));
        app.MapMethods("/apis/apps/v1/namespaces/{ns}/statefulsets/{name}", ["PATCH"], (HttpContext c, string ns, string name) =>
            Serve(c, Operation.PatchStatefulSet, body => PatchStatefulSet(c, ns, name, body)));


        MapEdgeMigrations(app);

        app.MapFallback(async (HttpContext c) =>
        {
            var body = await ReadBody(c.Request);
            Record(null, c.Request, body);
            await Reject(c, 404, "NotFound", $"the fake API server does not serve {c.Request.Method} {c.Request.Path}{c.Request.QueryString}: the runtime called something it should not");
        });
    }

    /// <summary>Records the request, refuses unknown query parameters, applies an injected fault or runs the handler.</summary>
    private async Task Serve(HttpContext c, Operation operation, Func<string, Task> handle)
    {
        var body = await ReadBody(c.Request);
        Record(operation, c.Request, body);
        if (SpecProblem(c, operation, body) is { } problem)
        {
            await Reject(c, problem.Code, problem.Reason, problem.Message);
            return;
        }
        var fault = Faults.Take(operation);
        if (await FaultAnswers.AnsweredAsync(c, fault))
            return;
        switch (fault)
        {
            case Fault.Gone when operation is Operation.WatchPods or Operation.WatchEdgeMigrations:
                await StartStream(c);
                await WriteEvent(c, "ERROR", JsonNode.Parse(StatusJson(410, "Expired", $"too old resource version: {c.Request.Query["resourceVersion"]} ({State.Revision})"))!);
                return;
            case Fault.DropAfter drop when operation is Operation.WatchPods or Operation.WatchEdgeMigrations:
                c.Items["dropAfter"] = drop;
                break;
            case { } other when operation is not (Operation.WatchPods or Operation.WatchEdgeMigrations) && other is Fault.Gone or Fault.DropAfter:
                throw new InvalidOperationException($"{other} applies to watches only");
        }
        await handle(body);
    }

    /// <summary>
    /// The request checked against the vendored OpenAPI documents: the operation the path and method address must be the
    /// one this route serves (<see cref="OperationIds"/>), its query parameters declared and typed, its body of an accepted
    /// Content-Type and without undeclared fields.
    /// </summary>
    private static (int Code, string Reason, string Message)? SpecProblem(HttpContext c, Operation operation, string body)
    {
        var op = OpenApiSpec.Vendored.Match(c.Request.Method, c.Request.Path.Value ?? "", out var missing);
        if (op is null)
            return (404, "NotFound", missing);
        if (op.OperationId != OperationIds[operation])
            return (500, "InternalError", $"the fake serves {operation} on {c.Request.Method} {c.Request.Path}, which the specification calls {op.OperationId}");
        if (OpenApiSpec.QueryProblem(op, c.Request.Query) is { } query)
            return (400, "BadRequest", query);
        if (OpenApiSpec.Vendored.BodyProblem(op, c.Request.ContentType, body) is { } invalid)
            return (invalid.StartsWith(op.OperationId + " accepts", StringComparison.Ordinal) ? 415 : 400, invalid.Contains(" accepts ", StringComparison.Ordinal) ? "UnsupportedMediaType" : "BadRequest", invalid);
        return null;
    }

    /// <summary>The upstream operationId of each operation the fake serves.</summary>
    internal static IReadOnlyDictionary<Operation, string> OperationIds { get; } = new Dictionary<Operation, string>
    {
        [Operation.ListNodes] = "listCoreV1Node",
        [Operation.ReadNode] = "readCoreV1Node",
        [Operation.ListPods] = "listCoreV1NamespacedPod",
        [Operation.WatchPods] = "listCoreV1NamespacedPod",
        [Operation.ReadPod] = "readCoreV1NamespacedPod",
        [Operation.CreatePod] = "createCoreV1NamespacedPod",
        [Operation.PatchPod] = "patchCoreV1NamespacedPod",
        [Operation.DeletePod] = "deleteCoreV1NamespacedPod",
        [Operation.ReadService] = "readCoreV1NamespacedService",
        [Operation.PatchService] = "patchCoreV1NamespacedService",
        [Operation.ReadEndpoints] = "readCoreV1NamespacedEndpoints",
        [Operation.ReadPersistentVolumeClaim] = "readCoreV1NamespacedPersistentVolumeClaim",
        [Operation.ReadReplicaSet] = "readAppsV1NamespacedReplicaSet",
        [Operation.ReadStatefulSet] = "readAppsV1NamespacedStatefulSet",
        [Operation.PatchStatefulSet] = "patchAppsV1NamespacedStatefulSet",
        [Operation.ListEdgeMigrations] = "listEdgeportalIoV1alpha1EdgeMigrationForAllNamespaces",
        [Operation.WatchEdgeMigrations] = "listEdgeportalIoV1alpha1EdgeMigrationForAllNamespaces",
        [Operation.ReadEdgeMigration] = "readEdgeportalIoV1alpha1NamespacedEdgeMigration",
        [Operation.PatchEdgeMigration] = "patchEdgeportalIoV1alpha1NamespacedEdgeMigration",
        [Operation.ReplaceEdgeMigrationStatus] = "replaceEdgeportalIoV1alpha1NamespacedEdgeMigrationStatus",
    };

    private Task ListPods(HttpContext c, string ns)
    {
        if (!Selected(c, out var matches, out var problem))
            return Reject(c, 400, "BadRequest", problem);
        var (pods, revision) = State.ListPods(ns, matches);
        return Json(c, 200, new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta { ResourceVersion = Rv(revision) }, Items = [.. pods.Select(Typed)] });
    }

    private async Task WatchPodsAsync(HttpContext c, string ns)
    {
        if (!Selected(c, out var matches, out var problem))
        {
            await Reject(c, 400, "BadRequest", problem);
            return;
        }
        var q = c.Request.Query;
        var bookmarks = q["allowWatchBookmarks"] == "true";
        var drop = c.Items.TryGetValue("dropAfter", out var d) ? (Fault.DropAfter)d! : new Fault.DropAfter(int.MaxValue);
        long from;
        if (string.IsNullOrEmpty(q["resourceVersion"]) || q["resourceVersion"] == "0")
            from = -1;
        else if (!long.TryParse(q["resourceVersion"], NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            await Reject(c, 400, "BadRequest", $"invalid resourceVersion \"{q["resourceVersion"]}\"");
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
        if (int.TryParse(q["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));

        await StartStream(c);
        Interlocked.Increment(ref _openWatches);
        try
        {
            var sent = 0;
            if (from < 0)
            {
                // No resourceVersion: the current state as ADDED events, then changes.
                var (pods, revision) = State.ListPods(ns, p => matches(p));
                foreach (var pod in pods)
                    await WriteEvent(c, "ADDED", Node(Typed(pod)));
                from = revision;
            }
            var (initial, _, bookmarkSeen, _) = State.Since(from);
            if (initial is null)
            {
                await WriteEvent(c, "ERROR", JsonNode.Parse(StatusJson(410, "Expired", $"too old resource version: {from} ({State.Revision})"))!);
                return;
            }
            if (bookmarks)
            {
                await WriteBookmark(c, State.Revision);
                if (drop.CountBookmarks && ++sent >= drop.Events)
                {
                    End(c, drop);
                    return;
                }
            }
            while (!timeout.IsCancellationRequested)
            {
                var (events, revision, bookmark, changed) = State.Since(from);
                if (events is null)
                {
                    await WriteEvent(c, "ERROR", JsonNode.Parse(StatusJson(410, "Expired", $"too old resource version: {from} ({revision})"))!);
                    return;
                }
                foreach (var e in events)
                {
                    from = e.ResourceVersion;
                    if (e.Pod.Namespace() != ns || !matches(e.Pod))
                        continue;
                    await WriteEvent(c, e.Type, Node(Typed(e.Pod)));
                    if (++sent >= drop.Events)
                    {
                        End(c, drop);
                        return;
                    }
                }
                if (bookmark != bookmarkSeen)
                {
                    bookmarkSeen = bookmark;
                    from = Math.Max(from, revision);
                    if (bookmarks)
                    {
                        await WriteBookmark(c, revision);
                        if (drop.CountBookmarks && ++sent >= drop.Events)
                        {
                            End(c, drop);
                            return;
                        }
                    }
                }
                try
                {
                    await changed.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _openWatches);
        }
    }

    /// <summary>Ends a watch the fault says to end: a reset connection, or a properly finished chunked stream.</summary>
    private static void End(HttpContext c, Fault.DropAfter drop)
    {
        if (!drop.Graceful)
            c.Abort();
    }

    private async Task CreatePod(HttpContext c, string ns, string body)
    {
        if (!IsJson(c.Request.ContentType))
        {
            await Reject(c, 415, "UnsupportedMediaType", $"a pod is created with Content-Type application/json, got '{c.Request.ContentType}'");
            return;
        }
        if (!TryDeserialize<V1Pod>(body, out var pod, out var problem))
        {
            await Reject(c, 400, "BadRequest", problem);
            return;
        }
        var invalid = ValidatePod(pod, ns, creating: true);
        if (invalid is not null)
        {
            await Reject(c, 422, "Invalid", $"Pod \"{pod.Name()}\" is invalid: {invalid}");
            return;
        }
        pod.Metadata.NamespaceProperty = ns;
        pod.Status = new V1PodStatus { Phase = "Pending" };
        if (!State.TryCreatePod(pod, out var stored))
        {
            await WriteStatus(c, 409, "AlreadyExists", $"pods \"{pod.Name()}\" already exists");
            return;
        }
        await Json(c, 201, Typed(stored));
        Kubelet.PodCreated(stored);
        Controllers.Reconcile();
    }

    private async Task PatchPod(HttpContext c, string ns, string name, string body)
    {
        var before = State.Pod(ns, name);
        var patched = await PatchedAsync(c, before, "pods", name, body);
        if (patched is null || before is not { } current)
            return;
        var invalid = ValidatePod(patched, ns, creating: false)
            ?? (patched.Name() != name ? "metadata.name: Invalid value: the name of a pod cannot change" : null)
            ?? (patched.Metadata.Uid != current.Metadata.Uid ? "metadata.uid: Invalid value: field is immutable" : null)
            ?? (SpecWithoutImages(patched) != SpecWithoutImages(current) ? "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`" : null);
        if (invalid is not null)
        {
            await Reject(c, 422, "Invalid", $"Pod \"{name}\" is invalid: {invalid}");
            return;
        }
        // status is a subresource: a patch of the pod itself does not change it.
        patched.Status = current.Status;
        var stored = State.ReplacePod(patched);
        await (stored is null ? NotFound(c, "pods", name) : Json(c, 200, Typed(stored)));
        Controllers.Reconcile();
    }

    private async Task DeletePod(HttpContext c, string ns, string name, string body)
    {
        if (body.Length > 0 && !TryDeserialize<V1DeleteOptions>(body, out _, out var problem))
        {
            await Reject(c, 400, "BadRequest", problem);
            return;
        }
        var deleted = State.DeletePod(ns, name);
        await (deleted is null ? NotFound(c, "pods", name) : Json(c, 200, Typed(deleted)));
        Controllers.Reconcile();
    }

    private async Task PatchService(HttpContext c, string ns, string name, string body)
    {
        var patched = await PatchedAsync(c, State.Service(ns, name), "services", name, body);
        if (patched is null)
            return;
        var invalid = (patched.Name() != name ? "metadata.name: the name of a Service cannot change" : null)
            ?? LabelRules.Problem(patched.Labels(), "metadata.labels")
            ?? LabelRules.Problem(patched.Spec?.Selector, "spec.selector")
            ?? AnnotationProblem(patched.Annotations());
        if (invalid is not null)
        {
            await Reject(c, 422, "Invalid", $"Service \"{name}\" is invalid: {invalid}");
            return;
        }
        State.ReplaceService(patched);
        await Json(c, 200, Typed(State.Service(ns, name)!));
    }

    /// <summary>
    /// The Endpoints of a Service as the endpoints controller keeps them: the running pods of its namespace its selector
    /// picks, Ready ones as addresses, the others as not-ready addresses (computed when read, so always current).
    /// </summary>
    public V1Endpoints? Endpoints(string ns, string name)
    {
        if (State.Service(ns, name) is not { } service)
            return null;
        var selector = service.Spec?.Selector ?? new Dictionary<string, string>();
        var pods = selector.Count == 0 ? [] : State.Pods(ns).Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase == "Running"
            && p.Labels() is { } l && selector.All(s => l.TryGetValue(s.Key, out var v) && v == s.Value)).ToList();
        V1EndpointAddress Address(V1Pod p) => new() { Ip = p.Status.PodIP ?? "10.244.0.10", NodeName = p.Spec?.NodeName, TargetRef = new V1ObjectReference { Kind = "Pod", Name = p.Name(), NamespaceProperty = ns, Uid = p.Uid() } };
        var ready = pods.Where(KubernetesPods.IsReady).Select(Address).ToList();
        var notReady = pods.Where(p => !KubernetesPods.IsReady(p)).Select(Address).ToList();
        return new V1Endpoints
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
            Subsets = pods.Count == 0 ? null : [new V1EndpointSubset { Addresses = ready.Count == 0 ? null : ready, NotReadyAddresses = notReady.Count == 0 ? null : notReady }],
        };
    }

    /// <summary>The object a patch makes of <paramref name="current"/>, or null after answering 404 or the patch's refusal.</summary>
    private async Task<T?> PatchedAsync<T>(HttpContext c, T? current, string resource, string name, string body) where T : class
    {
        if (current is null)
        {
            await NotFound(c, resource, name);
            return null;
        }
        try
        {
            return KubernetesJson.Deserialize<T>(Patches.Apply(c.Request.ContentType, Node(current), body).ToJsonString());
        }
        catch (PatchException e)
        {
            await Reject(c, e.Code, e.Reason, e.Message);
        }
        catch (JsonException e)
        {
            await Reject(c, 422, "Invalid", $"the patched {typeof(T).Name[2..]} does not deserialise: {e.Message}");
        }
        return null;
    }

    private async Task PatchStatefulSet(HttpContext c, string ns, string name, string body)
    {
        var before = State.Get<V1StatefulSet>(ns, name);
        var patched = await PatchedAsync(c, before, "statefulsets.apps", name, body);
        if (patched is null || before is not { } current)
            return;
        var invalid = (patched.Name() != name ? "metadata.name: the name of a StatefulSet cannot change" : null)
            ?? (patched.Spec.Replicas is < 0 ? "spec.replicas: Invalid value: must be greater than or equal to 0" : null)
            ?? (KubernetesJson.Serialize(patched.Spec.Selector) != KubernetesJson.Serialize(current.Spec.Selector) ? "spec.selector: Forbidden: field is immutable" : null)
            ?? AnnotationProblem(patched.Annotations());
        if (invalid is not null)
        {
            await Reject(c, 422, "Invalid", $"StatefulSet.apps \"{name}\" is invalid: {invalid}");
            return;
        }
        patched.Status = current.Status;
        var stored = State.Put(patched);
        await Json(c, 200, Typed(stored, "apps/v1", "StatefulSet"));
        Controllers.Reconcile();
    }

    /// <summary>What is wrong with a pod the runtime sent, as the API server's validation says it, or null.</summary>
    private static string? ValidatePod(V1Pod pod, string ns, bool creating)
    {
        if (pod.ApiVersion is { } api && api != "v1")
            return $"apiVersion: Invalid value: \"{api}\"";
        if (pod.Kind is { } kind && kind != "Pod")
            return $"kind: Invalid value: \"{kind}\"";
        if (pod.Metadata is null)
            return "metadata: Required value";
        if (string.IsNullOrEmpty(pod.Name()))
            return "metadata.name: Required value: name or generateName is required";
        if (pod.Name().Length > 253 || !Subdomain().IsMatch(pod.Name()))
            return $"metadata.name: Invalid value: \"{pod.Name()}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'";
        if (pod.Namespace() is { Length: > 0 } n && n != ns)
            return $"metadata.namespace: Invalid value: \"{n}\": the namespace of the provided object does not match the namespace sent on the request";
        if (creating && !string.IsNullOrEmpty(pod.Metadata.ResourceVersion))
            return "metadata.resourceVersion: Invalid value: resourceVersion should not be set on objects to be created";
        if (creating && !string.IsNullOrEmpty(pod.Metadata.Uid))
            return "metadata.uid: Invalid value: uid is assigned by the API server";
        // pkg/apis/core/validation: ephemeral containers are added through the ephemeralcontainers subresource only.
        if (creating && pod.Spec?.EphemeralContainers is { Count: > 0 })
            return "spec.ephemeralContainers: Forbidden: cannot be set on create";
        if (creating && pod.Metadata.OwnerReferences is { Count: > 0 })
            return "metadata.ownerReferences: a restored pod must not be owned by a controller";
        if (LabelRules.Problem(pod.Labels(), "metadata.labels") is { } labels)
            return labels;
        if (AnnotationProblem(pod.Annotations()) is { } annotations)
            return annotations;
        if (pod.Spec?.Containers is not { Count: > 0 } containers)
            return "spec.containers: Required value";
        foreach (var container in containers)
        {
            if (string.IsNullOrEmpty(container.Name) || container.Name.Length > 63 || !Subdomain().IsMatch(container.Name) || container.Name.Contains('.', StringComparison.Ordinal))
                return $"spec.containers.name: Invalid value: \"{container.Name}\"";
            if (string.IsNullOrWhiteSpace(container.Image))
                return $"spec.containers[{container.Name}].image: Required value";
            if (container.ImagePullPolicy is { } policy && policy is not ("Always" or "IfNotPresent" or "Never"))
                return $"spec.containers[{container.Name}].imagePullPolicy: Unsupported value: \"{policy}\"";
        }
        if (containers.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count() != containers.Count)
            return "spec.containers.name: Duplicate value";
        return null;
    }

    private static string? AnnotationProblem(IDictionary<string, string>? annotations) =>
        annotations?.Keys.FirstOrDefault(k => !LabelRules.IsKey(k)) is { } bad ? $"metadata.annotations: Invalid value: \"{bad}\"" : null;

    private static string SpecWithoutImages(V1Pod pod)
    {
        var spec = Node(pod.Spec)!;
        foreach (var list in new[] { "containers", "initContainers" })
            if (spec[list] is JsonArray containers)
                foreach (var container in containers.OfType<JsonObject>())
                    container.Remove("image");
        return spec.ToJsonString();
    }

    /// <summary>Deserialises a body into a k8s model type (its fields were checked against the specification before).</summary>
    private static bool TryDeserialize<T>(string body, out T value, out string problem)
    {
        value = default!;
        try
        {
            value = KubernetesJson.Deserialize<T>(body);
        }
        catch (JsonException e)
        {
            problem = $"the body is not a {typeof(T).Name}: {e.Message}";
            return false;
        }
        problem = value is null ? $"the body is not a {typeof(T).Name}: null" : "";
        return value is not null;
    }

    private bool Selected(HttpContext c, out Func<V1Pod, bool> matches, out string problem)
    {
        try
        {
            var labels = Selectors.Labels(c.Request.Query["labelSelector"]);
            var fields = Selectors.Fields(c.Request.Query["fieldSelector"]);
            matches = p => labels(p) && fields(p);
            problem = "";
            return true;
        }
        catch (SelectorException e)
        {
            matches = _ => false;
            problem = e.Message;
            return false;
        }
    }

    private RecordedRequest Record(Operation? operation, HttpRequest request, string body)
    {
        var recorded = new RecordedRequest(operation, request.Method, request.Path.Value ?? "",
            request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal), request.ContentType, body);
        _requests.Enqueue(recorded);
        lock (_waitersGate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
                if (_waiters[i].Match(recorded))
                {
                    _waiters[i].Done.TrySetResult(recorded);
                    _waiters.RemoveAt(i);
                }
        }
        return recorded;
    }

    private Task Reject(HttpContext c, int code, string reason, string message, string? plainText = null)
    {
        _rejections.Enqueue($"{c.Request.Method} {c.Request.Path}{c.Request.QueryString} → {code} {reason}: {message}");
        if (plainText is not null)
        {
            c.Response.StatusCode = code;
            c.Response.ContentType = "text/plain; charset=utf-8";
            return c.Response.WriteAsync(plainText);
        }
        return WriteStatus(c, code, reason, message);
    }

    private static Task NotFound(HttpContext c, string resource, string name) => WriteStatus(c, 404, "NotFound", $"{resource} \"{name}\" not found");

    private static Task WriteStatus(HttpContext c, int code, string reason, string message)
    {
        c.Response.StatusCode = code;
        c.Response.ContentType = "application/json";
        return c.Response.WriteAsync(StatusJson(code, reason, message));
    }

    private static Task Json(HttpContext c, int code, object value)
    {
        c.Response.StatusCode = code;
        c.Response.ContentType = "application/json";
        return c.Response.WriteAsync(KubernetesJson.Serialize(value));
    }

    private static async Task StartStream(HttpContext c)
    {
        c.Response.StatusCode = 200;
        c.Response.ContentType = "application/json";
        c.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await c.Response.StartAsync(c.RequestAborted);
    }

    private static async Task WriteEvent(HttpContext c, string type, JsonNode item)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = item }.ToJsonString() + "\n";
        await c.Response.WriteAsync(line, c.RequestAborted);
        await c.Response.Body.FlushAsync(c.RequestAborted);
    }

    private static Task WriteBookmark(HttpContext c, long revision) =>
        WriteEvent(c, "BOOKMARK", new JsonObject
        {
            ["kind"] = "Pod",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(revision), ["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" } },
        });

    private static async Task<string> ReadBody(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static bool IsJson(string? contentType) => (contentType ?? "").Split(';')[0].Trim() == "application/json";

    private static JsonNode Node<T>(T value) => JsonNode.Parse(KubernetesJson.Serialize(value))!;

    private static string Rv(long revision) => revision.ToString(CultureInfo.InvariantCulture);

    private static V1Pod Typed(V1Pod pod)
    {
        pod.ApiVersion = "v1";
        pod.Kind = "Pod";
        return pod;
    }

    private static V1Node Typed(V1Node node)
    {
        node.ApiVersion = "v1";
        node.Kind = "Node";
        return node;
    }

    private static T Typed<T>(T value, string apiVersion, string kind) where T : IKubernetesObject
    {
        value.ApiVersion = apiVersion;
        value.Kind = kind;
        return value;
    }

    private static V1Service Typed(V1Service service)
    {
        service.ApiVersion = "v1";
        service.Kind = "Service";
        return service;
    }


    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
