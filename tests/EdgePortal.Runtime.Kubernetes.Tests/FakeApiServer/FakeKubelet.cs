using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Globalization;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>What the kubelet does with a pod scheduled on its node.</summary>
public enum KubeletMode
{
    /// <summary>Starts it: Pending → Running (not Ready) → Running and Ready, each a MODIFIED event; waits on <see cref="FakeKubelet.ReadyGate"/> first.</summary>
    Ready,
    /// <summary>Leaves it Pending: the test moves it with <see cref="FakeKubelet.MarkRunning"/> and <see cref="FakeKubelet.MakeReady"/>.</summary>
    Manual,
    /// <summary>Cannot pull its image: the container waits in ErrImagePull.</summary>
    ImagePullFails,
}

/// <summary>One checkpoint request the kubelet received (through the API server's node proxy).</summary>
public sealed record CheckpointCall(string Node, string Namespace, string Pod, string Container, int? TimeoutSeconds, string Archive);

/// <summary>
/// The kubelets of every node of the fake cluster: they start pods bound to their node (<c>spec.nodeName</c>) as
/// <see cref="Mode"/> says, and answer the checkpoint API (<c>POST /checkpoint/{ns}/{pod}/{container}?timeout=S</c>)
/// with <c>{"items":[path]}</c>, writing a real archive (a tar of CRIU-like image files) into
/// <see cref="ArchiveDirectory"/> when set, which is where the node's agent looks for it.
/// </summary>
public sealed class FakeKubelet(FakeClusterState state)
{
    public const string KubeletCheckpointDirectory = "/var/lib/kubelet/checkpoints";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<V1Pod>> _created = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CheckpointCall> _checkpoints = new();

    public KubeletMode Mode { get; set; } = KubeletMode.Ready;

    /// <summary>In <see cref="KubeletMode.Ready"/>, the kubelet makes a new pod Ready only once this completes (a slow start).</summary>
    public Task ReadyGate { get; set; } = Task.CompletedTask;

    /// <summary>Where checkpoint archives are written, named as the kubelet names them; null writes nothing.</summary>
    public string? ArchiveDirectory { get; set; }

    /// <summary>How many bytes of "memory pages" a checkpoint archive holds.</summary>
    public int ArchiveBytes { get; set; } = 64 * 1024;

    public IReadOnlyList<CheckpointCall> Checkpoints => [.. _checkpoints];

    /// <summary>Called at the moment the kubelet dumps the container: what the cluster looks like when the state is frozen.</summary>
    public Action<CheckpointCall>? Checkpointing { get; set; }

    /// <summary>Completes when a pod of that name is created (at once if it already was).</summary>
    public Task<V1Pod> Created(string name) => Waiter(name).Task;

    /// <summary>Seeds a running, Ready pod straight into the store, as if created and started long ago.</summary>
    public V1Pod Run(V1Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        pod.Status = RunningStatus(pod, ready: true);
        if (!state.TryCreatePod(pod, out var stored))
            throw new InvalidOperationException($"pod {pod.Name()} exists");
        return stored;
    }

    public V1Pod MarkRunning(string ns, string name) =>
        state.UpdatePod(ns, name, p => p.Status = RunningStatus(p, ready: false)) ?? throw new InvalidOperationException($"no pod {ns}/{name}");

    public V1Pod MakeReady(string ns, string name) =>
        state.UpdatePod(ns, name, p => p.Status = RunningStatus(p, ready: true)) ?? throw new InvalidOperationException($"no pod {ns}/{name}");

    public V1Pod FailImagePull(string ns, string name, string message) =>
        state.UpdatePod(ns, name, p => p.Status = new V1PodStatus
        {
            Phase = "Pending",
            Conditions = [new V1PodCondition { Type = "Ready", Status = "False", Reason = "ContainersNotReady" }],
            ContainerStatuses = [.. (p.Spec?.Containers ?? []).Select(c => new V1ContainerStatus
            {
                Name = c.Name,
                Image = c.Image,
                ImageID = ImageId(c.Image),
                Ready = false,
                RestartCount = 0,
                State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = message } },
            })],
        }) ?? throw new InvalidOperationException($"no pod {ns}/{name}");

    /// <summary>The API server stored a new pod: the kubelet of its node, if that node exists, takes it.</summary>
    internal void PodCreated(V1Pod pod)
    {
        Waiter(pod.Name()).TrySetResult(pod);
        if (pod.Spec?.NodeName is not { } node || state.Node(node) is null)
            return;
        var ns = pod.Namespace();
        var name = pod.Name();
        switch (Mode)
        {
            case KubeletMode.Ready:
                var gate = ReadyGate;
                _ = Task.Run(async () =>
                {
                    await gate.ConfigureAwait(false);
                    if (state.Pod(ns, name) is null)
                        return;
                    MarkRunning(ns, name);
                    MakeReady(ns, name);
                });
                break;
            case KubeletMode.ImagePullFails:
                _ = Task.Run(() => FailImagePull(ns, name, $"failed to pull image \"{pod.Spec.Containers[0].Image}\": not found"));
                break;
        }
    }

    /// <summary>
    /// The kubelet's checkpoint handler (pkg/kubelet/server/server.go) with its texts and codes: 404 "pod does not exist",
    /// 404 "container X does not exist" (containers, init and ephemeral containers all count), 404 "cannot parse value of
    /// timeout parameter" (the last <c>timeout</c> wins; without one the CRI default, the kubelet's runtimeRequestTimeout,
    /// applies), and on success <c>{"items":["&lt;dir&gt;/checkpoint-&lt;pod&gt;_&lt;ns&gt;-&lt;container&gt;-&lt;RFC 3339&gt;.tar"]}</c>.
    /// </summary>
    internal (int Code, string Body) Checkpoint(string node, string ns, string podName, string container, Microsoft.Extensions.Primitives.StringValues timeouts)
    {
        var pod = state.Pod(ns, podName);
        if (pod is null || pod.Spec?.NodeName != node)
            return (404, "pod does not exist");
        var names = (pod.Spec.Containers ?? []).Select(c => c.Name)
            .Concat((pod.Spec.InitContainers ?? []).Select(c => c.Name))
            .Concat((pod.Spec.EphemeralContainers ?? []).Select(c => c.Name));
        if (!names.Contains(container))
            return (404, $"container {container} does not exist");
        int? timeout = null;
        if (timeouts.Count > 0)
        {
            if (!long.TryParse(timeouts[^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
                return (404, "cannot parse value of timeout parameter");
            timeout = (int)Math.Clamp(seconds, int.MinValue, int.MaxValue);
        }
        // kubelet: fmt.Sprintf("checkpoint-%s-%s-%s.tar", podFullName (name_namespace), containerName, time.Now().Format(time.RFC3339))
        var file = $"checkpoint-{podName}_{ns}-{container}-{Now().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}.tar";
        if (ArchiveDirectory is { } directory)
            WriteArchive(Path.Combine(directory, file), container);
        var path = $"{CheckpointDirectory}/{file}";
        var call = new CheckpointCall(node, ns, podName, container, timeout, path);
        Checkpointing?.Invoke(call);
        _checkpoints.Enqueue(call);
        return (200, $$"""{"items":["{{path}}"]}""");
    }

    /// <summary>Where the kubelet writes archives: <c>&lt;root-dir&gt;/checkpoints</c>, /var/lib/kubelet by default (k3s, MicroK8s use other roots).</summary>
    public string CheckpointDirectory { get; set; } = KubeletCheckpointDirectory;

    /// <summary>Two checkpoints within one second would get one name (RFC 3339 has whole seconds), as on a real kubelet; tests that take several move this on.</summary>
    public Func<DateTime> Now { get; set; } = () => DateTime.UtcNow;

    private void WriteArchive(string path, string container)
    {
        var source = Directory.CreateTempSubdirectory("edgeportal-criu-").FullName;
        try
        {
            var pages = new byte[ArchiveBytes];
            new Random(7).NextBytes(pages);
            File.WriteAllBytes(Path.Combine(source, "pages-1.img"), pages);
            File.WriteAllText(Path.Combine(source, "config.dump"), $$"""{"id":"{{Guid.NewGuid():N}}","name":"{{container}}"}""");
            File.WriteAllText(Path.Combine(source, "spec.dump"), """{"ociVersion":"1.0.0"}""");
            TarFile.CreateFromDirectory(source, path, includeBaseDirectory: false);
        }
        finally
        {
            Directory.Delete(source, recursive: true);
        }
    }

    private static V1PodStatus RunningStatus(V1Pod pod, bool ready) => new()
    {
        Phase = "Running",
        PodIP = "10.244.0.10",
        StartTime = DateTime.UtcNow,
        Conditions =
        [
            new V1PodCondition { Type = "PodScheduled", Status = "True" },
            new V1PodCondition { Type = "Initialized", Status = "True" },
            new V1PodCondition { Type = "ContainersReady", Status = ready ? "True" : "False" },
            new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" },
        ],
        ContainerStatuses = [.. (pod.Spec?.Containers ?? []).Select(c => new V1ContainerStatus
        {
            Name = c.Name,
            Image = c.Image,
            ImageID = ImageId(c.Image),
            Ready = ready,
            Started = true,
            RestartCount = 0,
            State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } },
        })],
    };

    /// <summary>
    /// The imageID containerd and CRI-O report for an image pulled from a registry: its repository (without the tag) at the
    /// manifest digest it was pulled at (here a digest derived from the reference, stable across runs).
    /// </summary>
    public static string ImageId(string image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Contains("@sha256:", StringComparison.Ordinal))
            return image;
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        var repository = colon > slash ? image[..colon] : image;
        return $"{repository}@sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(image)))}";
    }

    private TaskCompletionSource<V1Pod> Waiter(string name) =>
        _created.GetOrAdd(name, _ => new TaskCompletionSource<V1Pod>(TaskCreationOptions.RunContinuationsAsynchronously));
}
