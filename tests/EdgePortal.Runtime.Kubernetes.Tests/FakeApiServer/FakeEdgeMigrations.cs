using System.Globalization;
using System.Text.Json.Nodes;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>
/// The EdgeMigration objects of the fake cluster, as the API server keeps a custom resource: each write validated against
/// the CRD's schema (<see cref="CustomResourceDefinitions"/>), a resourceVersion per write, <c>metadata.generation</c> raised
/// by spec changes only, the status changed only through its subresource, the spec immutable (the CRD's CEL rule),
/// deletion held by finalizers (a deletionTimestamp, then gone when the last finalizer is removed), and a log of events
/// for watches that a test can compact (410 Gone for older versions).
/// </summary>
public sealed class FakeEdgeMigrationStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JsonObject> _items = new(StringComparer.Ordinal);
    private readonly List<(long Revision, string Type, JsonObject Item)> _events = [];
    private long _revision = 5000;
    private long _compactedBelow;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Revision
    {
        get
        {
            lock (_gate)
                return _revision;
        }
    }

    /// <summary>Creates an object as <c>kubectl apply</c> would, or throws with the API server's refusal.</summary>
    public EdgeMigration Create(EdgeMigration resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var node = JsonNode.Parse(KubernetesJson.Serialize(resource))!.AsObject();
        node.Remove("status");
        if (CustomResourceDefinitions.Problem(CustomResourceDefinitions.EdgeMigrationSchema, node) is { } invalid)
            throw new InvalidOperationException($"EdgeMigration.edgeportal.io \"{resource.Metadata.Name}\" is invalid: {invalid}");
        lock (_gate)
        {
            var key = Key(resource.Metadata.NamespaceProperty, resource.Metadata.Name);
            if (_items.ContainsKey(key))
                throw new InvalidOperationException($"edgemigrations.edgeportal.io \"{resource.Metadata.Name}\" already exists");
            var metadata = node["metadata"]!.AsObject();
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["generation"] = 1;
            metadata["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            return Typed(Write(key, node, "ADDED"));
        }
    }

    public EdgeMigration? Get(string ns, string name)
    {
        lock (_gate)
            return _items.TryGetValue(Key(ns, name), out var item) ? Typed(item) : null;
    }

    internal JsonObject? Raw(string ns, string name)
    {
        lock (_gate)
            return _items.TryGetValue(Key(ns, name), out var item) ? item.DeepClone().AsObject() : null;
    }

    /// <summary><c>kubectl delete</c>: gone at once without finalizers, else marked with a deletionTimestamp until they are removed.</summary>
    public void Delete(string ns, string name)
    {
        lock (_gate)
        {
            var key = Key(ns, name);
            if (!_items.TryGetValue(key, out var item))
                throw new InvalidOperationException($"edgemigrations.edgeportal.io \"{name}\" not found");
            var next = item.DeepClone().AsObject();
            if (next["metadata"]!["finalizers"] is JsonArray { Count: > 0 })
            {
                if (next["metadata"]!["deletionTimestamp"] is null)
                {
                    next["metadata"]!["deletionTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                    Write(key, next, "MODIFIED");
                }
                return;
            }
            Remove(key, next);
        }
    }

    /// <summary>
    /// Completes with the object (null: gone) as soon as <paramref name="done"/> holds for it, checked after every change;
    /// throws <see cref="TimeoutException"/> with the last object seen when <paramref name="timeout"/> passes first.
    /// </summary>
    public async Task<EdgeMigration?> WhenAsync(string ns, string name, Func<EdgeMigration?, bool> done, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(done);
        using var expiry = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task changed;
            JsonObject? raw;
            lock (_gate)
            {
                changed = _changed.Task;
                raw = _items.TryGetValue(Key(ns, name), out var item) ? item.DeepClone().AsObject() : null;
            }
            var current = raw is null ? null : Typed(raw);
            if (done(current))
                return current;
            try
            {
                await changed.WaitAsync(expiry.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"EdgeMigration {ns}/{name} did not reach the state waited for; last seen: {raw?.ToJsonString() ?? "(gone)"}");
            }
        }
    }

    /// <summary>Forgets the event log below the current revision: a watch from an older resourceVersion gets 410 Gone.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedBelow = _revision;
            _events.Clear();
            Signal();
        }
    }

    internal (IReadOnlyList<JsonObject> Items, long Revision) List()
    {
        lock (_gate)
            return ([.. _items.Values.Select(i => i.DeepClone().AsObject())], _revision);
    }

    /// <summary>The events after <paramref name="from"/>, or null when the log no longer reaches back that far; and a task completed by the next change.</summary>
    internal (IReadOnlyList<(long Revision, string Type, JsonObject Item)>? Events, long Revision, Task Changed) Since(long from)
    {
        lock (_gate)
        {
            if (from < _compactedBelow)
                return (null, _revision, _changed.Task);
            return ([.. _events.Where(e => e.Revision > from).Select(e => (e.Revision, e.Type, e.Item.DeepClone().AsObject()))], _revision, _changed.Task);
        }
    }

    /// <summary>
    /// Replaces the object with <paramref name="next"/> (the result of a patch or of a status write), or says why not: a
    /// stale resourceVersion (409), a schema violation or a spec change (422).
    /// </summary>
    internal (JsonObject? Stored, int Code, string Reason, string Message) Update(string ns, string name, Func<JsonObject, JsonObject> change,
        string? expectedVersion, bool statusOnly)
    {
        lock (_gate)
        {
            var key = Key(ns, name);
            if (!_items.TryGetValue(key, out var current))
                return (null, 404, "NotFound", $"edgemigrations.edgeportal.io \"{name}\" not found");
            if (expectedVersion is { Length: > 0 } && expectedVersion != current["metadata"]!["resourceVersion"]!.GetValue<string>())
                return (null, 409, "Conflict", $"Operation cannot be fulfilled on edgemigrations.edgeportal.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
            var next = change(current.DeepClone().AsObject());
            if (statusOnly)
            {
                // The status subresource takes the status only.
                var status = next["status"]?.DeepClone();
                next = current.DeepClone().AsObject();
                next["status"] = status;
            }
            else
            {
                // The main resource takes everything but the status; metadata the server owns stays its own.
                next["status"] = current["status"]?.DeepClone();
                foreach (var owned in new[] { "uid", "creationTimestamp", "generation", "deletionTimestamp", "name", "namespace" })
                {
                    next["metadata"]!.AsObject().Remove(owned);
                    if (current["metadata"]![owned] is { } value)
                        next["metadata"]![owned] = value.DeepClone();
                }
                if (current["metadata"]!["deletionTimestamp"] is not null && Finalizers(next).Except(Finalizers(current)).Any())
                    return (null, 422, "Invalid", $"EdgeMigration.edgeportal.io \"{name}\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted");
            }
            if (!JsonNode.DeepEquals(next["spec"], current["spec"]))
                return (null, 422, "Invalid", $"EdgeMigration.edgeportal.io \"{name}\" is invalid: spec: Invalid value: \"object\": spec is immutable; delete the EdgeMigration and create another one");
            var checkable = next.DeepClone().AsObject();
            if (CustomResourceDefinitions.Problem(CustomResourceDefinitions.EdgeMigrationSchema, checkable) is { } invalid)
                return (null, 422, "Invalid", $"EdgeMigration.edgeportal.io \"{name}\" is invalid: {invalid}");
            if (JsonNode.DeepEquals(Comparable(next), Comparable(current)))
                return (current.DeepClone().AsObject(), 200, "", "");
            if (current["metadata"]!["deletionTimestamp"] is not null && !Finalizers(next).Any())
            {
                Remove(key, next);
                return (next, 200, "", "");
            }
            return (Write(key, next, "MODIFIED"), 200, "", "");
        }
    }

    private static JsonObject Comparable(JsonObject item)
    {
        var copy = item.DeepClone().AsObject();
        copy["metadata"]!.AsObject().Remove("resourceVersion");
        return copy;
    }

    private static IEnumerable<string> Finalizers(JsonObject item) =>
        item["metadata"]?["finalizers"] is JsonArray list ? list.Select(f => f!.GetValue<string>()) : [];

    private JsonObject Write(string key, JsonObject item, string type)
    {
        _revision++;
        item["metadata"]!["resourceVersion"] = _revision.ToString(CultureInfo.InvariantCulture);
        item["apiVersion"] = EdgeMigration.GroupVersion;
        item["kind"] = EdgeMigration.KindName;
        _items[key] = item;
        _events.Add((_revision, type, item.DeepClone().AsObject()));
        Signal();
        return item.DeepClone().AsObject();
    }

    private void Remove(string key, JsonObject item)
    {
        _revision++;
        item["metadata"]!["resourceVersion"] = _revision.ToString(CultureInfo.InvariantCulture);
        _items.Remove(key);
        _events.Add((_revision, "DELETED", item.DeepClone().AsObject()));
        Signal();
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private static string Key(string? ns, string? name) => $"{ns}/{name}";

    internal static EdgeMigration Typed(JsonObject item) => KubernetesJson.Deserialize<EdgeMigration>(item.ToJsonString());
}

/// <summary>The routes of the EdgeMigration resource: what the controller calls, and nothing else.</summary>
public sealed partial class FakeKubeApiServer
{
    public FakeEdgeMigrationStore EdgeMigrations { get; } = new();

    private void MapEdgeMigrations(WebApplication app)
    {
        const string root = "/apis/edgeportal.io/v1alpha1";
        app.MapGet($"{root}/edgemigrations", (HttpContext c) =>
            c.Request.Query["watch"] is var w && (w == "true" || w == "1")
                ? Serve(c, Operation.WatchEdgeMigrations, _ => WatchEdgeMigrationsAsync(c))
                : Serve(c, Operation.ListEdgeMigrations, _ =>
                {
                    var (items, revision) = EdgeMigrations.List();
                    return Json(c, 200, new JsonObject
                    {
                        ["apiVersion"] = EdgeMigration.GroupVersion,
                        ["kind"] = "EdgeMigrationList",
                        ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(revision) },
                        ["items"] = new JsonArray([.. items]),
                    });
                }));
        app.MapGet($"{root}/namespaces/{{ns}}/edgemigrations/{{name}}", (HttpContext c, string ns, string name) => Serve(c, Operation.ReadEdgeMigration, _ =>
            EdgeMigrations.Raw(ns, name) is { } item ? Json(c, 200, item) : NotFound(c, "edgemigrations.edgeportal.io", name)));
        app.MapMethods($"{root}/namespaces/{{ns}}/edgemigrations/{{name}}", ["PATCH"], (HttpContext c, string ns, string name) =>
            Serve(c, Operation.PatchEdgeMigration, async body =>
            {
                string? expected;
                try
                {
                    expected = JsonNode.Parse(body)?["metadata"]?["resourceVersion"]?.GetValue<string>();
                }
                catch (System.Text.Json.JsonException e)
                {
                    await Reject(c, 400, "BadRequest", $"the patch is not JSON: {e.Message}");
                    return;
                }
                await Answer(c, EdgeMigrations.Update(ns, name, current => Patches.Apply(c.Request.ContentType, current, body).AsObject(), expected, statusOnly: false));
            }));
        app.MapPut($"{root}/namespaces/{{ns}}/edgemigrations/{{name}}/status", (HttpContext c, string ns, string name) =>
            Serve(c, Operation.ReplaceEdgeMigrationStatus, async body =>
            {
                var sent = JsonNode.Parse(body)!.AsObject();
                if (sent["metadata"]?["name"]?.GetValue<string>() != name || sent["metadata"]?["namespace"]?.GetValue<string>() is { } other && other != ns)
                {
                    await Reject(c, 400, "BadRequest", "the name and namespace of the body must match the request's");
                    return;
                }
                await Answer(c, EdgeMigrations.Update(ns, name, _ => sent, sent["metadata"]?["resourceVersion"]?.GetValue<string>(), statusOnly: true));
            }));
    }

    private Task Answer(HttpContext c, (JsonObject? Stored, int Code, string Reason, string Message) result) => result switch
    {
        ({ } stored, 200, _, _) => Json(c, 200, stored),
        (_, 404, _, var message) => WriteStatus(c, 404, "NotFound", message),
        // A conflict is an answer the client is meant to handle, not a bug: not recorded as a refusal.
        (_, 409, var reason, var message) => WriteStatus(c, 409, reason, message),
        (_, var code, var reason, var message) => Reject(c, code, reason, message),
    };

    private async Task WatchEdgeMigrationsAsync(HttpContext c)
    {
        var q = c.Request.Query;
        var bookmarks = q["allowWatchBookmarks"] == "true";
        var drop = c.Items.TryGetValue("dropAfter", out var d) ? (Fault.DropAfter)d! : new Fault.DropAfter(int.MaxValue);
        if (!long.TryParse(q["resourceVersion"], NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            await Reject(c, 400, "BadRequest", "the controller watches from the resourceVersion of its list");
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
        if (int.TryParse(q["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        await StartStream(c);
        var sent = 0;
        if (bookmarks)
            await WriteEvent(c, "BOOKMARK", Bookmark(EdgeMigrations.Revision));
        while (!timeout.IsCancellationRequested)
        {
            var (events, revision, changed) = EdgeMigrations.Since(from);
            if (events is null)
            {
                await WriteEvent(c, "ERROR", JsonNode.Parse(StatusJson(410, "Expired", $"too old resource version: {from} ({revision})"))!);
                return;
            }
            foreach (var (rv, type, item) in events)
            {
                from = rv;
                await WriteEvent(c, type, item);
                if (++sent >= drop.Events)
                {
                    End(c, drop);
                    return;
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

    private static JsonObject Bookmark(long revision) => new()
    {
        ["kind"] = EdgeMigration.KindName,
        ["apiVersion"] = EdgeMigration.GroupVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(revision) },
    };
}
