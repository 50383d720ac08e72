using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using EdgePortal.Testing.Lab;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>One docker-registry for every test class that migrates through it.</summary>
[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}

/// <summary>
/// A Kubernetes edge cluster on the wire: the fake API server with two Ready nodes (edge-1 at 127.0.0.1, edge-2 at
/// 127.0.0.2), the Service <c>counter</c> selecting <c>app=counter</c> and its bare pod on edge-1; on each node a real
/// agent (same port, its node's address) and the node's kubelet API (<see cref="FakeKubeletServer"/>), which the agent
/// asks for checkpoints with its service account token; edge-1's kubelet writes archives into its agent's checkpoint
/// directory; the agents push to the real registry and pull base images with <see cref="FakeCrictl"/>; and the real <see cref="KubernetesEdgeRuntime"/> over the real <see cref="KubernetesClients"/> (reading a
/// kubeconfig that names the fake).
/// </summary>
public sealed class KubernetesHarness : IAsyncDisposable
{
    public const string ClusterName = "edge-k8s";
    public const string Namespace = "edge";
    public const string ServiceName = "counter";
    public const string SourcePodName = "counter-5d8f7";
    public const string ContainerName = "counter";
    public const string RootfsImage = "quay.io/example/counter:1.0";

    private KubernetesHarness(FakeKubeApiServer api, FakeKubeApiServer destinationApi, AgentHost agent, AgentHost destinationAgent, FakeKubeletServer kubelet,
        FakeKubeletServer destinationKubelet, FakeCrictl crictl, KubernetesClients clients, KubernetesClusterOptions options,
        KubernetesEdgeRuntime runtime, string folder)
    {
        Api = api;
        DestinationApi = destinationApi;
        Agent = agent;
        DestinationAgent = destinationAgent;
        Kubelet = kubelet;
        DestinationKubelet = destinationKubelet;
        Crictl = crictl;
        Clients = clients;
        Options = options;
        Runtime = runtime;
        Folder = folder;
    }

    public FakeKubeApiServer Api { get; }

    /// <summary>The API server of edge-2's cluster: <see cref="Api"/> itself, or cluster B's (<see cref="StartTwoClustersAsync"/>).</summary>
    public FakeKubeApiServer DestinationApi { get; }

    /// <summary>Whether edge-2 is in cluster B (<see cref="DestinationClusterName"/>), with its own API server.</summary>
    public bool Across => DestinationApi != Api;
    /// <summary>The agent of edge-1 (127.0.0.1), the source.</summary>
    public AgentHost Agent { get; }

    /// <summary>The agent of edge-2 (127.0.0.2, the same port), the destination: it pulls base images.</summary>
    public AgentHost DestinationAgent { get; }

    /// <summary>edge-1's kubelet API, which its agent asks for checkpoints.</summary>
    public FakeKubeletServer Kubelet { get; }

    public FakeKubeletServer DestinationKubelet { get; }

    /// <summary>The agents' service account token file (the kubelets know its first content).</summary>
    public string TokenFile => Path.Combine(Folder, "token");

    /// <summary>The crictl both agents pull base images with.</summary>
    public FakeCrictl Crictl { get; }
    public KubernetesClients Clients { get; }
    public KubernetesClusterOptions Options { get; }
    public KubernetesEdgeRuntime Runtime { get; }
    public string Folder { get; }

    public const string DestinationClusterName = "edge-k8s-b";

    /// <summary>Cluster B of <see cref="StartTwoClustersAsync"/>: edge-2 alone.</summary>
    public static EdgeCluster DestinationCluster { get; } = new(ClusterId.From(Guid.Parse("00000000-0000-0000-0000-0000000000c6")), DestinationClusterName, ClusterKind.Kubernetes, "metro");

    /// <summary>edge-2 as a node of cluster B.</summary>
    public static EdgeNode DestinationAcross { get; } = new(NodeId.From(new Guid(0xE3, 0, 0, new byte[8])), DestinationCluster.Id, "edge-2", "edge-2",
        new NodeCapacity(4_000, 8_000_000_000), new GeoLocation(45.46, 7.6));

    public static EdgeCluster Cluster { get; } = new(ClusterId.From(Guid.Parse("00000000-0000-0000-0000-0000000000c5")), ClusterName, ClusterKind.Kubernetes, "metro");
    public static EdgeNode Source { get; } = Node(0xE1, "edge-1", 45.07);
    public static EdgeNode Destination { get; } = Node(0xE2, "edge-2", 45.46);
    public static ServiceInstance Service { get; } = new(ServiceId.From(Guid.Parse("00000000-0000-0000-0000-000000000051")),
        TenantId.From(Guid.Parse("00000000-0000-0000-0000-00000000000a")), ServiceName, Source.Id, new WorkloadProfile(64 * 1024, 10),
        new KpiTargets(5_000, 60_000, 20), Objective.MinDowntime);

    public static Task<KubernetesHarness> StartAsync(RegistryFixture registry, TimeProvider? time = null,
        Action<KubernetesClusterOptions>? configure = null) => StartAsync(registry, time, configure, null);

    /// <summary>
    /// Two clusters, each its own fake API server and kubeconfig: A (<see cref="ClusterName"/>) with edge-1, the Service and the
    /// pod; B (<see cref="DestinationClusterName"/>) with edge-2 and a Service <c>counter</c> of the same selector and no pod.
    /// Both name the same registry unless <paramref name="configureB"/> says otherwise.
    /// </summary>
    public static Task<KubernetesHarness> StartTwoClustersAsync(RegistryFixture registry, Action<KubernetesClusterOptions>? configureA = null,
        Action<KubernetesClusterOptions>? configureB = null, TimeProvider? time = null) => StartAsync(registry, time, configureA, configureB ?? (_ => { }));

    private static async Task<KubernetesHarness> StartAsync(RegistryFixture registry, TimeProvider? time, Action<KubernetesClusterOptions>? configure,
        Action<KubernetesClusterOptions>? configureB)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var api = await FakeKubeApiServer.StartAsync();
        var destinationApi = configureB is null ? api : await FakeKubeApiServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("edgeportal-k8s-").FullName;
        var kubelet = await FakeKubeletServer.StartAsync("edge-1", api.Kubelet, "127.0.0.1");
        var destinationKubelet = await FakeKubeletServer.StartAsync("edge-2", destinationApi.Kubelet, "127.0.0.2");
        var token = Path.Combine(folder, "token");
        await File.WriteAllTextAsync(token, FakeKubeletServer.AgentToken + "\n");
        var crictl = new FakeCrictl(folder);
        // Each node's agent, named so in its certificate as the runtime expects, pushing only to its configured registry and
        // asking its own kubelet for checkpoints with the agent's service account token.
        Dictionary<string, string?> Settings(FakeKubeletServer k) => new()
        {
            ["EdgePortal:Agent:Registries:checkpoints:Host"] = registry.Host,
            ["EdgePortal:Agent:Registries:checkpoints:PlainHttp"] = "true",
            ["EdgePortal:Agent:Kubelet:Url"] = k.BaseUri.ToString(),
            ["EdgePortal:Agent:Kubelet:CertificateAuthorityFile"] = TestPki.Shared.AuthorityFile,
            ["EdgePortal:Agent:Kubelet:ServerName"] = k.ServerName,
            ["EdgePortal:Agent:Kubelet:TokenFile"] = token,
            ["EdgePortal:Agent:Kubelet:CrictlPath"] = crictl.Path,
        };
        var agent = await AgentHost.StartAsync(new AgentSpec("edge-1", Settings(kubelet)));
        var destinationAgent = await AgentHost.StartAsync(new AgentSpec("edge-2", Settings(destinationKubelet), Address: "127.0.0.2", Port: agent.BaseUri.Port));
        api.Kubelet.ArchiveDirectory = agent.CheckpointDirectory;
        Seed(api, configureB is null ? ["edge-1", "edge-2"] : ["edge-1"], withPod: true);
        if (configureB is not null)
            Seed(destinationApi, ["edge-2"], withPod: false);
        KubernetesClusterOptions ClusterOptions(FakeKubeApiServer server, string context) => new()
        {
            KubeconfigPath = server.WriteKubeconfig(folder, context),
            Context = context,
            Namespace = Namespace,
            Registry = registry.Host,
            RegistryPlainHttp = true,
            AgentPort = agent.BaseUri.Port,
            AgentTls = TestPki.Shared.PortalTls,
            CheckpointTimeout = TimeSpan.FromSeconds(45),
            ReadyTimeout = TimeSpan.FromSeconds(30),
            TransferTimeout = TimeSpan.FromSeconds(30),
            // The fake's endpoints follow the selector at once; the in-flight grace is a wait the tests need not spend.
            DrainGrace = TimeSpan.Zero,
        };
        var options = ClusterOptions(api, "fake");
        configure?.Invoke(options);
        var edge = new KubernetesEdgeOptions();
        edge.Clusters[ClusterName] = options;
        if (configureB is not null)
        {
            var b = ClusterOptions(destinationApi, "fake-b");
            configureB(b);
            edge.Clusters[DestinationClusterName] = b;
        }
        var validation = new KubernetesEdgeOptionsValidator().Validate(null, edge);
        Assert.True(validation.Succeeded, "the harness's options must be valid: " + validation.FailureMessage);
        var clients = new KubernetesClients(Microsoft.Extensions.Options.Options.Create(edge));
        var runtime = new KubernetesEdgeRuntime(clients, time ?? TimeProvider.System, NullLogger<KubernetesEdgeRuntime>.Instance);
        return new KubernetesHarness(api, destinationApi, agent, destinationAgent, kubelet, destinationKubelet, crictl, clients, options, runtime, folder);
    }

    public V1Pod? Pod(string name) => Api.State.Pod(Namespace, name);

    /// <summary>The checkpoint archives left in the source agent's checkpoint directory.</summary>
    public IReadOnlyList<string> ArchivesLeft() => [.. Directory.GetFiles(Agent.CheckpointDirectory, "checkpoint-*.tar").Select(Path.GetFileName).OfType<string>()];

    /// <summary>What the registry answers for the manifest <paramref name="reference"/> (a tag or digest) of edgeportal/counter.</summary>
    public static async Task<System.Net.HttpStatusCode> ManifestStatusAsync(RegistryFixture registry, string reference)
    {
        ArgumentNullException.ThrowIfNull(registry);
        using var http = new HttpClient { BaseAddress = registry.BaseUri };
        using var get = new HttpRequestMessage(HttpMethod.Head, $"v2/edgeportal/counter/manifests/{reference}");
        get.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        using var response = await http.SendAsync(get);
        return response.StatusCode;
    }

    public const string ReplicaSetName = "counter-7d4b9";

    /// <summary>Makes the seeded pod the one replica of Deployment <c>counter</c>'s ReplicaSet (selector app=counter, pod-template-hash=7d4b9).</summary>
    public V1ReplicaSet OwnByDeployment()
    {
        var source = Pod(SourcePodName)!;
        var labels = new Dictionary<string, string>(source.Metadata.Labels) { ["pod-template-hash"] = "7d4b9" };
        var template = FakeClusterState.Copy(source.Spec);
        template.NodeName = null;
        var rs = Api.State.Put(new V1ReplicaSet
        {
            Metadata = new V1ObjectMeta
            {
                Name = ReplicaSetName,
                NamespaceProperty = Namespace,
                OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = ServiceName, Uid = Guid.NewGuid().ToString(), Controller = true }],
            },
            Spec = new V1ReplicaSetSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "counter", ["pod-template-hash"] = "7d4b9" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = template },
            },
        });
        Api.State.UpdatePod(Namespace, SourcePodName, p =>
        {
            p.Metadata.Labels = labels;
            p.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = rs.Name(), Uid = rs.Uid(), Controller = true, BlockOwnerDeletion = true }];
        });
        return rs;
    }

    /// <summary>
    /// Replaces the seeded pod by <c>counter-{ordinal}</c> of StatefulSet <c>counter</c> (<paramref name="replicas"/> replicas,
    /// headless Service counter), its claim <c>data-counter-{ordinal}</c> of <paramref name="accessMode"/> and class
    /// <paramref name="storageClass"/>; the other ordinals run on edge-2.
    /// </summary>
    public V1StatefulSet OwnByStatefulSet(int replicas = 1, int ordinal = 0, string accessMode = "ReadWriteMany", string storageClass = "nfs")
    {
        var source = Pod(SourcePodName)!;
        Api.State.DeletePod(Namespace, SourcePodName);
        var labels = new Dictionary<string, string>(source.Metadata.Labels) { ["controller-revision-hash"] = "counter-6c8f" };
        var template = FakeClusterState.Copy(source.Spec);
        template.NodeName = null;
        template.NodeSelector = null;
        template.Containers[0].VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }];
        var sts = Api.State.Put(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = ServiceName, NamespaceProperty = Namespace },
            Spec = new V1StatefulSetSpec
            {
                Replicas = replicas,
                ServiceName = ServiceName,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "counter" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = template },
            },
            Status = new V1StatefulSetStatus { Replicas = replicas, CurrentRevision = "counter-6c8f", UpdateRevision = "counter-6c8f" },
        });
        for (var i = 0; i < replicas; i++)
        {
            var name = $"{ServiceName}-{i}";
            Api.State.Put(new V1PersistentVolumeClaim
            {
                Metadata = new V1ObjectMeta { Name = $"data-{name}", NamespaceProperty = Namespace },
                Spec = new V1PersistentVolumeClaimSpec { AccessModes = [accessMode], StorageClassName = storageClass },
            });
            var spec = FakeClusterState.Copy(template);
            spec.NodeName = i == ordinal ? "edge-1" : "edge-2";
            spec.Hostname = name;
            spec.Subdomain = ServiceName;
            spec.Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = $"data-{name}" } }];
            Api.Kubelet.Run(new V1Pod
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = Namespace,
                    Labels = new Dictionary<string, string>(labels) { ["statefulset.kubernetes.io/pod-name"] = name },
                    OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "StatefulSet", Name = ServiceName, Uid = sts.Uid(), Controller = true, BlockOwnerDeletion = true }],
                },
                Spec = spec,
            });
        }
        return sts;
    }

    public V1Service CounterService() => Api.State.Service(Namespace, ServiceName)!;

    public static string TargetName(MigrationId id) => TargetPodBuilder.Name(ServiceName, id);

    public static MigrationPlan Plan(MigrationStrategy strategy = MigrationStrategy.Cold)
    {
        StepKind[] kinds = strategy == MigrationStrategy.Cold
            ? [StepKind.Profile, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.SwitchTraffic, StepKind.CleanUp]
            : [StepKind.Profile, StepKind.PreDump, StepKind.Checkpoint, StepKind.Transfer, StepKind.Restore, StepKind.ReplayMessages, StepKind.SwitchTraffic, StepKind.CleanUp];
        return new MigrationPlan(strategy, Source.Id, Destination.Id, Bandwidth.FromGigabits(1), 0, null, 500, 5_000,
            [.. kinds.Select(k => new PlannedStep(k, 0, 100, k is StepKind.Checkpoint or StepKind.Transfer or StepKind.Restore))], true, null, "test");
    }

    public static StepContext Context(MigrationId id, StepKind kind, MigrationStrategy strategy = MigrationStrategy.Cold, StepArtifacts? stored = null) =>
        new(id, Service, Cluster, Source, Destination, Plan(strategy), Step(kind), Bandwidth.FromGigabits(1), stored);

    /// <summary>A step of the migration from edge-1 in cluster A to edge-2 in cluster B.</summary>
    public static StepContext ContextAcross(MigrationId id, StepKind kind, MigrationStrategy strategy = MigrationStrategy.Cold, StepArtifacts? stored = null) =>
        new(id, Service, Cluster, Source, DestinationAcross, Plan(strategy), Step(kind), Bandwidth.FromGigabits(1), stored, DestinationCluster: DestinationCluster);

    /// <summary>The step as the engine gives it here: across clusters when edge-2 is in cluster B.</summary>
    public StepContext ContextFor(MigrationId id, StepKind kind, StepArtifacts? stored = null) =>
        Across ? ContextAcross(id, kind, stored: stored) : Context(id, kind, stored: stored);

    /// <summary>The rollback after <paramref name="outcomes"/>: the steps that succeeded, with the artifacts they returned, as the engine stores them.</summary>
    public static RollbackContext Rollback(MigrationId id, IEnumerable<(StepKind Kind, StepOutcome Outcome)> outcomes) =>
        new(id, Service, Cluster, Source, Destination, Plan(), Succeeded(outcomes), "test");

    /// <summary>The rollback of a migration from cluster A to cluster B.</summary>
    public static RollbackContext RollbackAcross(MigrationId id, IEnumerable<(StepKind Kind, StepOutcome Outcome)> outcomes) =>
        new(id, Service, Cluster, Source, DestinationAcross, Plan(), Succeeded(outcomes), "test", DestinationCluster);

    private static List<MigrationStep> Succeeded(IEnumerable<(StepKind Kind, StepOutcome Outcome)> outcomes) => [.. outcomes
        .Where(o => o.Outcome is StepOutcome.Success)
        .Select((o, i) => Step(o.Kind) with { Index = i, Status = StepStatus.Succeeded, Artifacts = ((StepOutcome.Success)o.Outcome).Artifacts })];

    /// <summary>Runs the Cold steps in order up to and including <paramref name="last"/>, stopping at the first failure.</summary>
    public async Task<IReadOnlyList<(StepKind Kind, StepOutcome Outcome)>> RunAsync(MigrationId id, StepKind last = StepKind.CleanUp)
    {
        var outcomes = new List<(StepKind, StepOutcome)>();
        var stored = StepArtifacts.None;
        foreach (var step in Plan().Steps.Select(s => s.Kind))
        {
            // What the engine does: every step gets the artifacts the steps before it stored.
            var outcome = await Runtime.ExecuteAsync(ContextFor(id, step, stored), CancellationToken.None);
            outcomes.Add((step, outcome));
            if (outcome is StepOutcome.Success success)
                stored = StepArtifacts.Merge(stored, success.Artifacts);
            if (outcome is StepOutcome.Failure || step == last)
                break;
        }
        return outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        Clients.Dispose();
        await Api.DisposeAsync();
        if (Across)
            await DestinationApi.DisposeAsync();
        await Agent.DisposeAsync();
        await DestinationAgent.DisposeAsync();
        await Kubelet.DisposeAsync();
        await DestinationKubelet.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }

    private static MigrationStep Step(StepKind kind) => new(0, kind, 0, false, 100, StepStatus.Succeeded, null, null, null, null);

    private static EdgeNode Node(int n, string name, double lat) =>
        new(NodeId.From(new Guid(n, 0, 0, new byte[8])), Cluster.Id, name, name, new NodeCapacity(4_000, 8_000_000_000), new GeoLocation(lat, 7.6));

    private static void Seed(FakeKubeApiServer api, string[] nodes, bool withPod)
    {
        foreach (var (name, zone, ip) in new[] { ("edge-1", "metro-a", "127.0.0.1"), ("edge-2", "metro-b", "127.0.0.2") }.Where(n => nodes.Contains(n.Item1)))
            api.State.AddNode(new V1Node
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    Labels = new Dictionary<string, string> { ["topology.kubernetes.io/zone"] = zone, ["kubernetes.io/hostname"] = name },
                },
                Status = new V1NodeStatus
                {
                    Addresses = [new V1NodeAddress { Type = "InternalIP", Address = ip }, new V1NodeAddress { Type = "Hostname", Address = name }],
                    Capacity = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("4"), ["memory"] = new("8Gi") },
                    Conditions = [new V1NodeCondition { Type = "Ready", Status = "True" }],
                },
            });
        api.State.AddService(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = ServiceName, NamespaceProperty = Namespace, Labels = new Dictionary<string, string> { ["app"] = "counter" } },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { ["app"] = "counter" },
                Ports = [new V1ServicePort { Port = 80, TargetPort = 8080, Protocol = "TCP" }],
            },
        });
        if (!withPod)
            return;
        api.Kubelet.Run(new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = SourcePodName,
                NamespaceProperty = Namespace,
                Labels = new Dictionary<string, string> { ["app"] = "counter", [KubernetesLabels.Service] = ServiceName, [KubernetesLabels.Tenant] = Service.TenantId.ToString(), ["tier"] = "edge" },
            },
            Spec = new V1PodSpec
            {
                NodeName = "edge-1",
                NodeSelector = new Dictionary<string, string> { ["kubernetes.io/hostname"] = "edge-1" },
                Containers =
                [
                    new V1Container
                    {
                        Name = ContainerName,
                        Image = RootfsImage,
                        Ports = [new V1ContainerPort { ContainerPort = 8080, Protocol = "TCP" }],
                        Env = [new V1EnvVar { Name = "COUNTER_MODE", Value = "edge" }],
                    },
                ],
            },
        });
    }
}
