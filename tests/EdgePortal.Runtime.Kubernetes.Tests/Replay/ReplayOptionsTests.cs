using EdgePortal.Runtime.Replay;

namespace EdgePortal.Runtime.Kubernetes.Tests.Replay;

/// <summary>A Kubernetes cluster's broker section is checked as an Agent cluster's is, and a failure names its key.</summary>
public sealed class ReplayOptionsTests
{
    [Fact]
    public void Validate_BrokerWithoutUriOrQueue_FailsNamingEachKey()
    {
        var result = Validate(new ReplayBrokerOptions
        {
            Uri = "http://broker:5672/",
            Services = { ["counter"] = new MessageServiceOptions { Exchange = "counter.events" } },
        });

        Assert.True(result.Failed);
        Assert.Equal(new[]
        {
            "EdgePortal:Kubernetes:Clusters:edge-k8s:Broker:Uri must be the broker's amqp:// or amqps:// URI, e.g. amqp://edgeportal:secret@10.0.0.2:5672/, got 'http://broker:5672/'.",
            "EdgePortal:Kubernetes:Clusters:edge-k8s:Broker:Services:counter:Queue must be the queue the service consumes (1 to 190 characters).",
        }, result.Failures);
    }

    [Fact]
    public void Validate_BrokerWithItsService_Succeeds()
    {
        var result = Validate(new ReplayBrokerOptions
        {
            Uri = "amqp://edgeportal:secret@10.0.0.2:5672/",
            Services = { ["counter"] = new MessageServiceOptions { Exchange = "counter.events", Queue = "counter.work" } },
        });

        Assert.True(result.Succeeded, string.Join(" ", result.Failures ?? []));
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(ReplayBrokerOptions broker)
    {
        var options = new KubernetesEdgeOptions();
        options.Clusters["edge-k8s"] = new KubernetesClusterOptions
        {
            InCluster = true,
            Registry = "registry.edge.local:5000",
            AgentScheme = "http",
            Broker = broker,
        };
        return new KubernetesEdgeOptionsValidator().Validate(null, options);
    }
}
