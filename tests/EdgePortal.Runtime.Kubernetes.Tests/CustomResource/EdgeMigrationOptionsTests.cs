using EdgePortal.Web.Kubernetes;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Kubernetes.Tests.CustomResource;

public sealed class EdgeMigrationOptionsTests
{
    private static readonly KubernetesEdgeOptions OneCluster = new()
    {
        Clusters = { ["edge-k8s"] = new KubernetesClusterOptions { InCluster = true, Registry = "registry.test:5000" } },
    };

    [Fact]
    public void Validate_Disabled_AcceptsAnything()
    {
        var validator = new EdgeMigrationOptionsValidator(Options.Create(new KubernetesEdgeOptions()));

        var result = validator.Validate(null, new EdgeMigrationOptions { Enabled = false, NamespaceTenants = { ["Not A Label"] = "x" } });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_EnabledWithBadEntries_NamesEveryKey()
    {
        var validator = new EdgeMigrationOptionsValidator(Options.Create(OneCluster));

        var result = validator.Validate(null, new EdgeMigrationOptions
        {
            Enabled = true,
            Clusters = ["edge-k8s", "elsewhere"],
            NamespaceTenants = { ["skyfleet"] = "not-a-guid", ["ok"] = "*", ["Bad_Ns"] = Guid.NewGuid().ToString() },
            ResyncInterval = TimeSpan.Zero,
        });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures, f => f.Contains("EdgePortal:Kubernetes:EdgeMigrations:Clusters names 'elsewhere'", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.StartsWith("EdgePortal:Kubernetes:EdgeMigrations:NamespaceTenants:skyfleet ", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.StartsWith("EdgePortal:Kubernetes:EdgeMigrations:NamespaceTenants:Bad_Ns ", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Failures, f => f.Contains("NamespaceTenants:ok", StringComparison.Ordinal));
        Assert.Contains(result.Failures, f => f.StartsWith("EdgePortal:Kubernetes:EdgeMigrations:ResyncInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EnabledWithoutAnyCluster_SaysWhereClustersGo()
    {
        var validator = new EdgeMigrationOptionsValidator(Options.Create(new KubernetesEdgeOptions()));

        var result = validator.Validate(null, new EdgeMigrationOptions { Enabled = true });

        Assert.Contains(result.Failures!, f => f.Contains("no cluster is configured under EdgePortal:Kubernetes:Clusters", StringComparison.Ordinal));
    }
}
