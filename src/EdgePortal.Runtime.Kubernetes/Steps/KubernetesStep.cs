using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Logging;

using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Steps;

/// <summary>
/// What every Kubernetes step needs: the clusters' clients, the clock its waits run on, a logger, and the agents' HTTP
/// clients (one given for every agent, or one mutual-TLS client per agent, its server certificate named after its node).
/// </summary>
internal sealed record KubernetesStepServices(IKubernetesClients Clients, TimeProvider Time, ILogger Logger, HttpClient? AgentHttp)
{
    private readonly EdgePortal.Agent.Contracts.Tls.AgentHttpClients _agentClients = new();

    /// <summary>One client for every hand-over webhook; each call is bounded by its own Timeout on <see cref="Time"/>.</summary>
    private static readonly HttpClient HandOverHttp = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The hand-over webhook caller (<see cref="HandOverWebhookOptions"/>).</summary>
    public HandOverWebhook HandOver { get; } = new(HandOverHttp, Time);

    /// <summary>The HTTP client for the agent of <paramref name="node"/> at <paramref name="agent"/>.</summary>
    public HttpClient AgentClient(KubernetesCluster k, Uri agent, string node) =>
        AgentHttp ?? (agent.Scheme == Uri.UriSchemeHttps ? _agentClients.For(agent.AbsoluteUri, k.Options.AgentTls, node) : _agentClients.Plain);

    /// <summary>The destination's cluster as the migration's tenant sees it: <paramref name="k"/> itself within one cluster.</summary>
    public KubernetesCluster TargetOf(KubernetesCluster k, EdgeCluster target, TenantId tenant) =>
        string.Equals(target.Name, k.Name, StringComparison.OrdinalIgnoreCase)
            ? k
            : (Clients.For(target.Name) ?? throw new StepFailedException(KubernetesEdgeRuntime.NotConfigured(target.Name))).ForTenant(tenant);

    /// <summary>The registry the image travels through from <paramref name="k"/> to <paramref name="target"/>: the source cluster's own within one cluster.</summary>
    public static CrossClusterRoute RouteOf(KubernetesCluster k, KubernetesCluster target) =>
        CrossCluster.Route(k.Name, k.Options, target.Name, target.Options)
            ?? throw new StepFailedException(KubernetesEdgeRuntime.NoRoute(k.Name, target.Name));

    /// <summary>The agent of <paramref name="node"/> (on its InternalIP), each call bounded by <paramref name="timeout"/> on <see cref="Time"/>.</summary>
    public EdgePortal.Agent.Contracts.AgentApiClient Agent(KubernetesCluster k, V1Node node, TimeSpan timeout)
    {
        var uri = KubernetesPods.AgentUri(k, node);
        return new EdgePortal.Agent.Contracts.AgentApiClient(AgentClient(k, uri, node.Name()), node.Name(), uri, timeout, Time);
    }
}

/// <summary>
/// A step of a migration on a Kubernetes cluster. Every one is safe to repeat: it reads the pods it works on by the
/// labels and names derived from the migration (or from the stored artifacts), and what it changes is set, not added —
/// the checkpoint makes a new archive, the image push overwrites the migration's tag, the restore keeps a pod that
/// already exists, label patches and deletes are idempotent.
/// </summary>
internal abstract class KubernetesStep(KubernetesStepServices services) : StepHandler
{
    protected KubernetesStepServices Services { get; } = services;

    /// <summary>Cold's steps; Transfer and Restore serve the replay strategies too, which have steps of their own for the rest (ReplaySteps).</summary>
    public override bool Handles(MigrationStrategy strategy) => strategy == MigrationStrategy.Cold;

    public override bool SafeToRepeat => true;

    public override Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var k = Services.Clients.For(context.Cluster.Name)
            ?? throw new StepFailedException(KubernetesEdgeRuntime.NotConfigured(context.Cluster.Name));
        return RunAsync(k.ForTenant(context.Service.TenantId), context, cancellationToken);
    }

    protected abstract Task<StepResult> RunAsync(KubernetesCluster k, StepContext c, CancellationToken ct);
}
