using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing.Lab;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.Migration;

/// <summary>Restore waits for the restored pod through a watch that survives what real API servers do to watches.</summary>
[Collection(RegistryCollection.Name)]
public sealed class RestoreWatchTests(RegistryFixture registry) : IAsyncLifetime
{
    private const string Ns = KubernetesHarness.Namespace;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private KubernetesHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubernetesHarness.StartAsync(registry);

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task Restore_WatchEndsMidStream_ResumesFromTheLastEventsResourceVersionWithoutRelisting()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        _k.Api.Kubelet.Mode = KubeletMode.Manual;
        _k.Api.Faults.Next(Operation.WatchPods, new Fault.DropAfter(1, Graceful: true));

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None);
        var first = await _k.Api.WhenWatch(1).WaitAsync(Patience);
        var running = _k.Api.Kubelet.MarkRunning(Ns, target);
        var resumed = await _k.Api.WhenWatch(2).WaitAsync(Patience);
        _k.Api.Kubelet.MakeReady(Ns, target);
        var outcome = await restore.WaitAsync(Patience);

        Assert.IsType<StepOutcome.Success>(outcome);
        Assert.NotEqual(first["resourceVersion"], running.ResourceVersion());
        Assert.Equal(running.ResourceVersion(), resumed["resourceVersion"]);
        Assert.Equal($"metadata.name={target}", resumed["fieldSelector"]);
        Assert.Equal("true", resumed["allowWatchBookmarks"]);
        Assert.Single(_k.Api.RequestsOf(Operation.ListPods), r => r["fieldSelector"] == $"metadata.name={target}");
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_WatchConnectionReset_ResumesWithoutRelistingAndSeesTheChange()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        _k.Api.Kubelet.Mode = KubeletMode.Manual;
        _k.Api.Faults.Next(Operation.WatchPods, new Fault.DropAfter(1));

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None);
        var first = await _k.Api.WhenWatch(1).WaitAsync(Patience);
        var running = _k.Api.Kubelet.MarkRunning(Ns, target);
        var resumed = await _k.Api.WhenWatch(2).WaitAsync(Patience);
        _k.Api.Kubelet.MakeReady(Ns, target);
        var outcome = await restore.WaitAsync(Patience);

        Assert.IsType<StepOutcome.Success>(outcome);
        // A reset may lose what was in flight: the client resumes from the event if it got it, else from where it
        // started (and the server replays the event); never from scratch, never by listing again.
        Assert.Contains(resumed["resourceVersion"], new[] { first["resourceVersion"], running.ResourceVersion() });
        Assert.Single(_k.Api.RequestsOf(Operation.ListPods), r => r["fieldSelector"] == $"metadata.name={target}");
        _k.Api.AssertNoRejections();
    }

    [Theory]
    [InlineData(Operation.WatchPods)]
    [InlineData(Operation.ListPods)]
    public async Task Restore_ApiServerAnswers429Then503_RetriesAndTheRestoreSucceeds(Operation operation)
    {
        var id = MigrationId.New();
        var stored = new StepArtifacts { SourcePod = KubernetesHarness.SourcePodName };
        _k.Api.Faults.Next(operation, Fault.Status(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later"));
        _k.Api.Faults.Next(operation, Fault.Status(503, "ServiceUnavailable", "the server is currently unable to handle the request"));

        _k.Api.Kubelet.Mode = KubeletMode.Manual;

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore, stored: stored), CancellationToken.None);
        var seen = 0;
        await _k.Api.WhenRequest(r => r.Operation == operation && ++seen == 3).WaitAsync(Patience);
        await _k.Api.WhenWatch(operation == Operation.WatchPods ? 3 : 1).WaitAsync(Patience);
        _k.Api.Kubelet.MarkRunning(Ns, KubernetesHarness.TargetName(id));
        _k.Api.Kubelet.MakeReady(Ns, KubernetesHarness.TargetName(id));
        var outcome = await restore.WaitAsync(Patience);

        Assert.IsType<StepOutcome.Success>(outcome);
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_RestoredPodDeletedWhileWaiting_FailsSayingItWasDeleted()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        _k.Api.Kubelet.Mode = KubeletMode.Manual;

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None);
        await _k.Api.WhenWatch(1).WaitAsync(Patience);
        _k.Api.State.DeletePod(Ns, target);
        var outcome = await restore.WaitAsync(Patience);

        Assert.Contains($"pod {target} was deleted", Assert.IsType<StepOutcome.Failure>(outcome).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_WatchEndsAfterABookmark_ResumesFromTheBookmarksResourceVersion()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        _k.Api.Kubelet.Mode = KubeletMode.Manual;
        // The opening bookmark and the one asked for below; the server ends the watch after the second.
        _k.Api.Faults.Next(Operation.WatchPods, new Fault.DropAfter(2, CountBookmarks: true, Graceful: true));

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None);
        var first = await _k.Api.WhenWatch(1).WaitAsync(Patience);
        // Changes the watch does not select move the revision on; only a bookmark tells the client about them.
        _k.Api.State.UpdatePod(Ns, KubernetesHarness.SourcePodName, p => p.Metadata.Annotations = new Dictionary<string, string> { ["touched"] = "1" });
        var revision = _k.Api.State.Revision;
        _k.Api.State.Bookmark();
        var resumed = await _k.Api.WhenWatch(2).WaitAsync(Patience);
        _k.Api.Kubelet.MarkRunning(Ns, target);
        _k.Api.Kubelet.MakeReady(Ns, target);
        var outcome = await restore.WaitAsync(Patience);

        Assert.IsType<StepOutcome.Success>(outcome);
        Assert.True(long.Parse(resumed["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture) >= revision,
            $"resumed at {resumed["resourceVersion"]}, the bookmark said {revision}, the first watch started at {first["resourceVersion"]}");
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_Watch410Gone_RelistsAndWatchesFromTheNewList()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        var start = new TaskCompletionSource();
        _k.Api.Kubelet.ReadyGate = start.Task;
        _k.Api.Faults.Next(Operation.WatchPods, new Fault.Gone());

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None);
        var second = await _k.Api.WhenWatch(2).WaitAsync(Patience);
        start.SetResult();
        var outcome = await restore.WaitAsync(Patience);

        Assert.IsType<StepOutcome.Success>(outcome);
        var lists = _k.Api.RequestsOf(Operation.ListPods).Where(r => r["fieldSelector"] == $"metadata.name={target}").ToList();
        Assert.Equal(2, lists.Count);
        Assert.NotNull(second["resourceVersion"]);
        Assert.Contains(_k.Pod(target)!.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_WatchFromACompactedResourceVersion_RelistsOn410()
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        _k.Api.Kubelet.Mode = KubeletMode.Manual;
        var release = new TaskCompletionSource();
        _k.Api.Faults.Next(Operation.WatchPods, new Fault.DropAfter(1));
        _k.Api.Faults.Next(Operation.WatchPods, new Fault.Hold(release.Task));

        var restore = _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None);
        await _k.Api.WhenWatch(1).WaitAsync(Patience);
        _k.Api.Kubelet.MarkRunning(Ns, target);
        var resume = await _k.Api.WhenWatch(2).WaitAsync(Patience);
        // etcd moves on and compacts while the resume is on its way: the server itself answers it 410 Gone.
        _k.Api.State.UpdatePod(Ns, KubernetesHarness.SourcePodName, p => p.Metadata.Annotations = new Dictionary<string, string> { ["touched"] = "1" });
        _k.Api.State.Compact();
        release.SetResult();
        var relisted = await _k.Api.WhenWatch(3).WaitAsync(Patience);
        _k.Api.Kubelet.MakeReady(Ns, target);
        var outcome = await restore.WaitAsync(Patience);

        Assert.NotEqual(resume["resourceVersion"], relisted["resourceVersion"]);
        Assert.IsType<StepOutcome.Success>(outcome);
        Assert.Equal(2, _k.Api.RequestsOf(Operation.ListPods).Count(r => r["fieldSelector"] == $"metadata.name={target}"));
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Restore_ImageCannotBePulled_FailsWithTheKubeletsReason()
    {
        var id = MigrationId.New();
        _k.Api.Kubelet.Mode = KubeletMode.ImagePullFails;

        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None).WaitAsync(Patience);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains($"the restored pod {KubernetesHarness.TargetName(id)} on edge-2 cannot start", failure.Reason, StringComparison.Ordinal);
        Assert.Contains("ErrImagePull", failure.Reason, StringComparison.Ordinal);
        _k.Api.AssertNoRejections();
    }

    [Theory]
    [InlineData(500, "InternalError", "etcdserver: request timed out")]
    [InlineData(409, "AlreadyExists", "pods \"x\" already exists")]
    public async Task Restore_CreateRefused_FailsQuotingTheApiServer(int code, string reason, string message)
    {
        var id = MigrationId.New();
        _k.Api.Faults.Next(Operation.CreatePod, Fault.Status(code, reason, message));

        var outcome = await _k.Runtime.ExecuteAsync(KubernetesHarness.Context(id, StepKind.Restore), CancellationToken.None).WaitAsync(Patience);

        var failure = Assert.IsType<StepOutcome.Failure>(outcome);
        Assert.Contains($"answered {code}", failure.Reason, StringComparison.Ordinal);
        Assert.Contains(message, failure.Reason, StringComparison.Ordinal);
        Assert.Null(_k.Pod(KubernetesHarness.TargetName(id)));
        _k.Api.AssertNoRejections();
    }
}
