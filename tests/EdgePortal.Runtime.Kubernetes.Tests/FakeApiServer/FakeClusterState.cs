using System.Globalization;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>One change of a pod, as a watch reports it.</summary>
public sealed record PodEvent(long ResourceVersion, string Type, V1Pod Pod);

/// <summary>
/// What the fake API server stores: nodes, pods and Services, one resourceVersion counter for all of them (etcd's
/// revision), and the log of pod changes watches replay from. Objects are stored as copies and handed out as copies,
/// so nothing a test or the runtime holds can change the store behind its back.
/// </summary>
public sealed class FakeClusterState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, V1Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Ns, string Name), V1Pod> _pods = [];
    private readonly Dictionary<(string Ns, string Name), V1Service> _services = [];
    private readonly Dictionary<(string Kind, string Ns, string Name), object> _objects = [];
    private readonly List<PodEvent> _podEvents = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision = 100;
    private long _compactedBelow;
    private int _bookmarkGeneration;

    public long Revision
    {
        get { lock (_gate) return _revision; }
    }

    /// <summary>Watches from a resourceVersion below this answer 410 Gone, as after an etcd compaction.</summary>
    public long CompactedBelow
    {
        get { lock (_gate) return _compactedBelow; }
    }

    /// <summary>Forgets the change history up to now: a watch from any older resourceVersion is told 410 Gone.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedBelow = _revision + 1;
            _podEvents.Clear();
        }
    }

    /// <summary>Asks every open watch that allowed bookmarks to send one now, with the current resourceVersion.</summary>
    public void Bookmark()
    {
        lock (_gate)
        {
            _bookmarkGeneration++;
            Signal();
        }
    }

    public void AddNode(V1Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        lock (_gate)
        {
            var copy = Copy(node);
            copy.Metadata.ResourceVersion = Next();
            copy.Metadata.Uid ??= Guid.NewGuid().ToString();
            _nodes[copy.Name()] = copy;
        }
    }

    public V1Node? Node(string name)
    {
        lock (_gate) return _nodes.TryGetValue(name, out var n) ? Copy(n) : null;
    }

    public IReadOnlyList<V1Node> Nodes()
    {
        lock (_gate) return [.. _nodes.Values.OrderBy(n => n.Name(), StringComparer.Ordinal).Select(Copy)];
    }

    public void AddService(V1Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate)
        {
            var copy = Copy(service);
            copy.Metadata.ResourceVersion = Next();
            copy.Metadata.Uid ??= Guid.NewGuid().ToString();
            _services[(copy.Namespace(), copy.Name())] = copy;
        }
    }

    public V1Service? Service(string ns, string name)
    {
        lock (_gate) return _services.TryGetValue((ns, name), out var s) ? Copy(s) : null;
    }

    /// <summary>Replaces a stored Service (after a patch); false when it does not exist.</summary>
    public bool ReplaceService(V1Service service)
    {
        lock (_gate)
        {
            var key = (service.Namespace(), service.Name());
            if (!_services.ContainsKey(key))
                return false;
            var copy = Copy(service);
            copy.Metadata.ResourceVersion = Next();
            _services[key] = copy;
            return true;
        }
    }

    /// <summary>Stores a namespaced object of another kind (ReplicaSet, StatefulSet, PersistentVolumeClaim), new or replacing.</summary>
    public T Put<T>(T value) where T : IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var copy = Copy(value);
            copy.Metadata.ResourceVersion = Next();
            copy.Metadata.Uid ??= Guid.NewGuid().ToString();
            _objects[(typeof(T).Name, copy.Namespace(), copy.Name())] = copy;
            return Copy(copy);
        }
    }

    public T? Get<T>(string ns, string name) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate) return _objects.TryGetValue((typeof(T).Name, ns, name), out var o) ? Copy((T)o) : null;
    }

    public IReadOnlyList<T> All<T>() where T : class, IKubernetesObject<V1ObjectMeta>
    {
        lock (_gate) return [.. _objects.Where(o => o.Key.Kind == typeof(T).Name).Select(o => Copy((T)o.Value))];
    }

    public V1Pod? Pod(string ns, string name)
    {
        lock (_gate) return _pods.TryGetValue((ns, name), out var p) ? Copy(p) : null;
    }

    public IReadOnlyList<V1Pod> Pods(string? ns = null)
    {
        lock (_gate) return [.. _pods.Values.Where(p => ns is null || p.Namespace() == ns).OrderBy(p => p.Name(), StringComparer.Ordinal).Select(Copy)];
    }

    /// <summary>The pods in <paramref name="ns"/> the selectors pick, and the revision the list is consistent with.</summary>
    public (IReadOnlyList<V1Pod> Pods, long Revision) ListPods(string? ns, Func<V1Pod, bool> matches)
    {
        lock (_gate)
            return ([.. _pods.Values.Where(p => ns is null || p.Namespace() == ns).Where(matches).OrderBy(p => p.Name(), StringComparer.Ordinal).Select(Copy)], _revision);
    }

    /// <summary>Stores a new pod; false when one of that name exists.</summary>
    public bool TryCreatePod(V1Pod pod, out V1Pod stored)
    {
        lock (_gate)
        {
            var key = (pod.Namespace(), pod.Name());
            if (_pods.ContainsKey(key))
            {
                stored = Copy(_pods[key]);
                return false;
            }
            stored = Copy(pod);
            stored.Metadata.Uid = Guid.NewGuid().ToString();
            stored.Metadata.CreationTimestamp = DateTime.UtcNow;
            stored.Metadata.ResourceVersion = Next();
            _pods[key] = stored;
            Record("ADDED", stored);
            return true;
        }
    }

    /// <summary>Applies <paramref name="change"/> to a stored pod and records a MODIFIED event; null when it does not exist.</summary>
    public V1Pod? UpdatePod(string ns, string name, Action<V1Pod> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            if (!_pods.TryGetValue((ns, name), out var current))
                return null;
            var copy = Copy(current);
            change(copy);
            copy.Metadata.ResourceVersion = Next();
            _pods[(ns, name)] = copy;
            Record("MODIFIED", copy);
            return Copy(copy);
        }
    }

    /// <summary>Replaces a stored pod (after a patch); null when it does not exist.</summary>
    public V1Pod? ReplacePod(V1Pod pod)
    {
        lock (_gate)
        {
            var key = (pod.Namespace(), pod.Name());
            if (!_pods.ContainsKey(key))
                return null;
            var copy = Copy(pod);
            copy.Metadata.ResourceVersion = Next();
            _pods[key] = copy;
            Record("MODIFIED", copy);
            return Copy(copy);
        }
    }

    public V1Pod? DeletePod(string ns, string name)
    {
        lock (_gate)
        {
            if (!_pods.Remove((ns, name), out var pod))
                return null;
            pod.Metadata.ResourceVersion = Next();
            Record("DELETED", pod);
            return Copy(pod);
        }
    }

    /// <summary>
    /// The pod events after <paramref name="after"/>, the bookmark generation, and a task that completes at the next
    /// change; null events when <paramref name="after"/> is compacted away (the caller answers 410 Gone).
    /// </summary>
    internal (IReadOnlyList<PodEvent>? Events, long Revision, int BookmarkGeneration, Task Changed) Since(long after)
    {
        lock (_gate)
        {
            if (after < _compactedBelow - 1)
                return (null, _revision, _bookmarkGeneration, _changed.Task);
            return ([.. _podEvents.Where(e => e.ResourceVersion > after).Select(e => e with { Pod = Copy(e.Pod) })], _revision, _bookmarkGeneration, _changed.Task);
        }
    }

    private string Next() => (++_revision).ToString(CultureInfo.InvariantCulture);

    private void Record(string type, V1Pod pod)
    {
        _podEvents.Add(new PodEvent(long.Parse(pod.ResourceVersion(), CultureInfo.InvariantCulture), type, Copy(pod)));
        Signal();
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    internal static T Copy<T>(T value) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(value));
}
