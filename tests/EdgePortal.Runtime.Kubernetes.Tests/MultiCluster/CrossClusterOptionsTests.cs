namespace EdgePortal.Runtime.Kubernetes.Tests.MultiCluster;

/// <summary>A cluster's peers and hand-over webhook are checked at start; every failure names its key.</summary>
public sealed class CrossClusterOptionsTests
{
    [Fact]
    public void Validate_PeerNotConfiguredAndWebhookOverPlainHttpWithoutSecret_FailsNamingEachKey()
    {
        var a = Cluster("registry-a.edge.local:5000");
        a.Peers["edge-c"] = new KubernetesPeerOptions { Registry = "https://registry.shared:5000" };
        var b = Cluster("registry-b.edge.local:5000");
        b.HandOver.Webhook = new HandOverWebhookOptions { Url = new Uri("http://lb.example.com/hand-over"), Secret = "short", Attempts = 0 };

        var result = Validate(a, b);

        Assert.Equal(new[]
        {
            "EdgePortal:Kubernetes:Clusters:edge-a:Peers:edge-c must name another configured cluster of EdgePortal:Kubernetes:Clusters.",
            "EdgePortal:Kubernetes:Clusters:edge-a:Peers:edge-c:Registry must be a registry host[:port] without a scheme, got 'https://registry.shared:5000'.",
            "EdgePortal:Kubernetes:Clusters:edge-b:HandOver:Webhook:Url must be an absolute https URL (http only to a loopback address), got 'http://lb.example.com/hand-over'.",
            "EdgePortal:Kubernetes:Clusters:edge-b:HandOver:Webhook:Secret must hold the HMAC key or bearer token, at least 16 characters.",
            "EdgePortal:Kubernetes:Clusters:edge-b:HandOver:Webhook:Attempts must lie in 1..10, got 0.",
        }, result.Failures);
    }

    [Fact]
    public void Validate_WebhookWithSecretAndSecretFile_FailsAskingForOne()
    {
        var a = Cluster("registry-a.edge.local:5000");
        a.HandOver.Webhook = new HandOverWebhookOptions { Url = new Uri("https://lb.example.com/hand-over"), Secret = "0123456789abcdef", SecretFile = "/nonexistent" };

        var result = Validate(a, Cluster("registry-b.edge.local:5000"));

        Assert.Equal(["EdgePortal:Kubernetes:Clusters:edge-a:HandOver:Webhook: set either Secret or SecretFile (the HMAC key or bearer token), not both."], result.Failures);
    }

    [Fact]
    public void Route_PeerEntryOrTheSameRegistry_NamesTheRegistryAndNothingOtherwise()
    {
        var a = Cluster("registry-a.edge.local:5000");
        var b = Cluster("registry-b.edge.local:5000");
        var c = Cluster("registry-a.edge.local:5000");
        a.Peers["edge-b"] = new KubernetesPeerOptions { Registry = "registry.shared:5000", AgentRegistry = "shared" };

        Assert.Equal(new CrossClusterRoute("registry.shared:5000", "shared"), CrossCluster.Route("edge-a", a, "edge-b", b));
        Assert.Equal(new CrossClusterRoute("registry-a.edge.local:5000", "checkpoints"), CrossCluster.Route("edge-a", a, "edge-c", c));
        Assert.Null(CrossCluster.Route("edge-b", b, "edge-a", a));
        var all = new KubernetesEdgeOptions { Clusters = { ["edge-a"] = a, ["edge-b"] = b, ["edge-c"] = c } };
        Assert.Equal(["edge-b", "edge-c"], CrossCluster.Peers(all, "edge-a"));
        Assert.Empty(CrossCluster.Peers(all, "edge-b"));
        Assert.True(new KubernetesEdgeOptionsValidator().Validate(null, all).Succeeded);
    }

    private static KubernetesClusterOptions Cluster(string registry) => new() { InCluster = true, Registry = registry, AgentScheme = "http" };

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(KubernetesClusterOptions a, KubernetesClusterOptions b) =>
        new KubernetesEdgeOptionsValidator().Validate(null, new KubernetesEdgeOptions { Clusters = { ["edge-a"] = a, ["edge-b"] = b } });
}
