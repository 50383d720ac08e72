using System.Globalization;
using System.Text;
using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Runtime.Replay;
using EdgePortal.Testing.Lab;
using RabbitMQ.Client;

namespace EdgePortal.Runtime.Kubernetes.Tests.Replay;

/// <summary>
/// MessageReplay and ReplayWithCutoff on a Kubernetes cluster against a real RabbitMQ (Debian's 3.10, on 127.0.0.1): the
/// fake API server and kubelet, real agents and registry, and the pods' message service (<see cref="MessageServiceProcess"/>)
/// consuming its queue while messages keep coming. The restored pod's service starts from the state the fake kubelet froze
/// at the checkpoint. Every message published must be applied exactly once by the service, counting the source's state
/// up to the checkpoint and the copy's after it: nothing lost, nothing applied twice.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class KubernetesReplayTests(RegistryFixture registry) : IAsyncLifetime
{
    private const string Exchange = "counter.events";
    private const string Queue = "counter.work";

    private LabBroker _broker = null!;
    private KubernetesHarness _k = null!;
    private MessageServiceProcess _source = null!;
    private MessageServiceProcess? _copy;
    private MessageServiceState? _frozen;

    public async Task InitializeAsync()
    {
        _broker = await LabBroker.StartLocalAsync();
        _k = await KubernetesHarness.StartAsync(registry, configure: o => o.Broker = new ReplayBrokerOptions
        {
            Uri = _broker.Uri.AbsoluteUri,
            Services = { [KubernetesHarness.ServiceName] = new MessageServiceOptions { Exchange = Exchange, Queue = Queue } },
            DrainedMessages = 20,
            ReplyTimeout = TimeSpan.FromSeconds(15),
            ReplayTimeout = TimeSpan.FromSeconds(30),
        });
        _source = await MessageServiceProcess.StartAsync(_broker.Uri, Exchange, Queue, KubernetesHarness.SourcePodName, MessageServiceState.Fresh);
        // The kubelet's checkpoint freezes the source's state (the container keeps running).
        _k.Api.Kubelet.Checkpointing = _ => _frozen = _source.State;
    }

    public async Task DisposeAsync()
    {
        if (_copy is not null)
            await _copy.DisposeAsync();
        await _source.DisposeAsync();
        await _k.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Theory]
    [InlineData(MigrationStrategy.MessageReplay)]
    [InlineData(MigrationStrategy.ReplayWithCutoff)]
    public async Task Execute_EveryReplayStepWhileMessagesArrive_EveryMessageAppliedExactlyOnce(MigrationStrategy strategy)
    {
        var id = MigrationId.New();
        var target = KubernetesHarness.TargetName(id);
        // The restored pod's process: from the frozen state, on a new connection, once the pod exists.
        var restored = _k.Api.Kubelet.Created(target).ContinueWith(async _ =>
            _copy = await MessageServiceProcess.StartAsync(_broker.Uri, Exchange, Queue, target, _frozen ?? throw new InvalidOperationException("restored before any checkpoint")),
            TaskScheduler.Default).Unwrap();
        await using var publisher = await Publisher.StartAsync(_broker.Uri);

        var plan = Plan(strategy);
        var stored = StepArtifacts.None;
        var said = new List<(PlannedStep Step, string Message)>();
        foreach (var step in plan.Steps)
        {
            if (step.Kind == StepKind.SwitchTraffic)
                await restored;
            var outcome = await _k.Runtime.ExecuteAsync(Context(id, plan, step, stored), CancellationToken.None);
            var success = Assert.IsType<StepOutcome.Success>(outcome);
            said.Add((step, success.Message!));
            stored = StepArtifacts.Merge(stored, success.Artifacts);
            if (step.Kind == StepKind.SwitchTraffic)
            {
                // Messages keep coming after the switch, to the copy alone.
                await publisher.WaitPublishedAsync(publisher.Published + 50);
                await publisher.StopAsync();
                await WaitAsync(() => _copy!.State.Last >= publisher.Published, $"the copy applies all {publisher.Published} messages");
            }
        }

        var published = publisher.Published;
        var copy = _copy!.State;
        // Nothing lost, nothing applied twice: the copy's state is every message once, in order.
        Assert.Equal(Enumerable.Range(1, (int)published).Select(n => (ulong)n), copy.Applied);
        Assert.Equal(0UL, copy.Lost);
        Assert.Equal(Queue, _copy.Consuming);
        // The source applied some before the checkpoint, and stopped at the pause: after it, only the copy applied.
        var frozen = _frozen!;
        Assert.NotEmpty(frozen.Applied);
        Assert.Equal(frozen.Applied, copy.Applied.Take(frozen.Applied.Count));
        var pausedAt = stored.PausedAt!.Value;
        Assert.Equal((ulong)pausedAt, _source.State.Last);
        Assert.True(published > (ulong)pausedAt + 40, $"{published} published, the source paused at #{pausedAt}");
        Assert.True(_source.Exited, "the clean-up told the paused source to exit");
        // The runtime said what it did, in the protocol's words, and cleaned up the broker.
        string Said(StepKind kind) => said.Last(s => s.Step.Kind == kind).Message;
        Assert.Contains($"replay queue {ReplayProtocol.ReplayQueue(Queue, id)} bound to {Exchange}", Said(StepKind.Checkpoint), StringComparison.Ordinal);
        Assert.Contains($"keeps serving {Queue} on edge-1", Said(StepKind.Checkpoint), StringComparison.Ordinal);
        Assert.Contains($"switched from {ReplayProtocol.ReplayQueue(Queue, id)} to {Queue}", Said(StepKind.SwitchTraffic), StringComparison.Ordinal);
        Assert.Contains($"now selects {target} on edge-2", Said(StepKind.SwitchTraffic), StringComparison.Ordinal);
        Assert.Contains($"deleted {ReplayProtocol.ReplayQueue(Queue, id)}", Said(StepKind.CleanUp), StringComparison.Ordinal);
        Assert.Null(_k.Pod(KubernetesHarness.SourcePodName));
        await using var look = await ReplayBroker.ConnectAsync(new ReplayBrokerOptions { Uri = _broker.Uri.AbsoluteUri }, CancellationToken.None);
        Assert.Null(await look.QueueAsync(ReplayProtocol.ReplayQueue(Queue, id), CancellationToken.None));
        Assert.Null(await look.QueueAsync(ReplayProtocol.ResumeQueue(Queue, id), CancellationToken.None));
        _k.Api.AssertNoRejections();
    }

    [Fact]
    public async Task Probe_ClusterWithABroker_ListsTheReplayStrategies()
    {
        var probe = await _k.Runtime.ProbeAsync(KubernetesHarness.Cluster, CancellationToken.None);

        Assert.Equal(new[] { MigrationStrategy.Cold, MigrationStrategy.MessageReplay, MigrationStrategy.ReplayWithCutoff }, probe.Capabilities.Strategies);
        Assert.True(probe.Capabilities.ReplayBroker);
        Assert.EndsWith("Cold, MessageReplay, ReplayWithCutoff", probe.Summary, StringComparison.Ordinal);
        Assert.Contains($"message replay for {KubernetesHarness.ServiceName}", probe.Capabilities.Detail, StringComparison.Ordinal);
    }

    private static MigrationPlan Plan(MigrationStrategy strategy)
    {
        PlannedStep[] steps =
        [
            new(StepKind.Profile, 0, 100, false), new(StepKind.Checkpoint, 0, 100, false), new(StepKind.Transfer, 0, 100, false),
            new(StepKind.Restore, 0, 100, false), new(StepKind.ReplayMessages, 0, 100, false),
            .. strategy == MigrationStrategy.ReplayWithCutoff ? [new PlannedStep(StepKind.ReplayMessages, 1, 100, true)] : Array.Empty<PlannedStep>(),
            new(StepKind.SwitchTraffic, 0, 100, true), new(StepKind.CleanUp, 0, 100, false),
        ];
        // The cutoff comes soon after the checkpoint, so that the cut-off round has a backlog to drain.
        return new MigrationPlan(strategy, KubernetesHarness.Source.Id, KubernetesHarness.Destination.Id, Bandwidth.FromGigabits(1), 0,
            strategy == MigrationStrategy.ReplayWithCutoff ? 1 : null, 500, 5_000, steps, true, null, "test");
    }

    private static StepContext Context(MigrationId id, MigrationPlan plan, PlannedStep step, StepArtifacts stored) =>
        new(id, KubernetesHarness.Service, KubernetesHarness.Cluster, KubernetesHarness.Source, KubernetesHarness.Destination, plan,
            new MigrationStep(0, step.Kind, step.Round, step.IsDowntime, 100, StepStatus.Running, null, null, null, null), Bandwidth.FromGigabits(1), stored);

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
                Assert.Fail($"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Publishes consecutive sequence numbers to the service's exchange, one every two milliseconds or so, until stopped.</summary>
    private sealed class Publisher : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _publishing;
        private long _published;

        private Publisher(IConnection connection, IChannel channel)
        {
            _connection = connection;
            _channel = channel;
            _publishing = Task.Run(PublishAsync);
        }

        public ulong Published => (ulong)Interlocked.Read(ref _published);

        public static async Task<Publisher> StartAsync(Uri broker)
        {
            var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync();
            return new Publisher(connection, await connection.CreateChannelAsync());
        }

        public async Task WaitPublishedAsync(ulong count) => await WaitAsync(() => Published >= count, $"{count} messages are published");

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _publishing;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _publishing;
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
            _stop.Dispose();
        }

        private async Task PublishAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var next = (ulong)Interlocked.Read(ref _published) + 1;
                await _channel.BasicPublishAsync(Exchange, "", false, new BasicProperties { Persistent = true },
                    Encoding.UTF8.GetBytes(next.ToString(CultureInfo.InvariantCulture)));
                Interlocked.Exchange(ref _published, (long)next);
                try
                {
                    await Task.Delay(2, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
