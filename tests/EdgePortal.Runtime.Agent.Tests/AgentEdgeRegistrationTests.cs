using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Agent.Tests;

public sealed class AgentEdgeRegistrationTests
{
    [Fact]
    public void AddAgentEdge_Unconfigured_RegistersNothing()
    {
        var services = new ServiceCollection();
        services.AddAgentEdge(new ConfigurationBuilder().Build());
        Assert.Empty(services);
    }

    [Fact]
    public void AddAgentEdge_OneCluster_TheRuntimeDrivesAgentClusters()
    {
        using var provider = Provider(new()
        {
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h1"] = "http://10.0.0.11:8471",
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h2"] = "http://10.0.0.12:8471/",
            ["EdgePortal:AgentEdge:Clusters:lab:ServiceAddresses:svc"] = "10.231.0.100/24",
        });
        var runtime = Assert.IsType<AgentEdgeRuntime>(Assert.Single(provider.GetServices<IEdgeRuntime>()));
        Assert.Equal(ClusterKind.Agent, runtime.Kind);
        Assert.Equal("10.231.0.100/24", provider.GetRequiredService<IOptions<AgentEdgeOptions>>().Value.Clusters["lab"].ServiceAddresses["svc"]);
    }

    [Fact]
    public void AddAgentEdge_BadEntries_EveryFailureNamesItsKey()
    {
        using var provider = Provider(new()
        {
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h1"] = "10.0.0.11:8471",
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h2"] = "https://10.0.0.12:8471/",
            ["EdgePortal:AgentEdge:Clusters:lab:ServiceAddresses:svc"] = "10.231.0.100",
        });
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AgentEdgeOptions>>().Value);
        Assert.Contains("EdgePortal:AgentEdge:Clusters:lab:Nodes:h1 must be the absolute http(s) URL of the node's agent, got '10.0.0.11:8471'.", e.Failures);
        Assert.Contains(e.Failures, f => f.StartsWith("EdgePortal:AgentEdge:Clusters:lab:Tls:CertificateFile, EdgePortal:AgentEdge:Clusters:lab:Tls:KeyFile and EdgePortal:AgentEdge:Clusters:lab:Tls:AuthorityFile must name", StringComparison.Ordinal));
        Assert.Contains("EdgePortal:AgentEdge:Clusters:lab:ServiceAddresses:svc must be an address with its prefix length, e.g. 10.231.0.100/24, got '10.231.0.100'.", e.Failures);
    }

    [Theory]
    [InlineData("Files")]
    [InlineData("1")]
    [InlineData("")]
    public void AddAgentEdge_UnknownColdTransfer_FailureNamesTheKeyAndTheChoices(string value)
    {
        using var provider = Provider(new()
        {
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h1"] = "http://10.0.0.11:8471/",
            ["EdgePortal:AgentEdge:Clusters:lab:ColdTransfer"] = value,
        });
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AgentEdgeOptions>>().Value);
        Assert.Equal($"EdgePortal:AgentEdge:Clusters:lab:ColdTransfer must be Images or PageServer, got '{value}'.", Assert.Single(e.Failures));
    }

    [Theory]
    [InlineData(null, AgentColdTransfer.Images)]
    [InlineData("PageServer", AgentColdTransfer.PageServer)]
    [InlineData("pageserver", AgentColdTransfer.PageServer)]
    [InlineData("Images", AgentColdTransfer.Images)]
    public void AddAgentEdge_ColdTransfer_BoundOrTheDefault(string? value, AgentColdTransfer expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h1"] = "http://10.0.0.11:8471/",
        };
        if (value is not null)
            settings["EdgePortal:AgentEdge:Clusters:lab:ColdTransfer"] = value;
        using var provider = Provider(settings);
        Assert.Equal(expected, provider.GetRequiredService<IOptions<AgentEdgeOptions>>().Value.Clusters["lab"].ColdTransferPath);
    }

    [Fact]
    public void AddAgentEdge_BadBroker_EveryFailureNamesItsKey()
    {
        using var provider = Provider(new()
        {
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h1"] = "http://10.0.0.11:8471/",
            ["EdgePortal:AgentEdge:Clusters:lab:Broker:Uri"] = "http://10.0.0.2:5672/",
            ["EdgePortal:AgentEdge:Clusters:lab:Broker:Services:orders:Exchange"] = "orders.in",
            ["EdgePortal:AgentEdge:Clusters:lab:Broker:ReplayTimeout"] = "00:00:00",
        });
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AgentEdgeOptions>>().Value);
        Assert.Contains("EdgePortal:AgentEdge:Clusters:lab:Broker:Uri must be the broker's amqp:// or amqps:// URI, e.g. amqp://edgeportal:secret@10.0.0.2:5672/, got 'http://10.0.0.2:5672/'.", e.Failures);
        Assert.Contains("EdgePortal:AgentEdge:Clusters:lab:Broker:Services:orders:Queue must be the queue the service consumes (1 to 190 characters).", e.Failures);
        Assert.Contains("EdgePortal:AgentEdge:Clusters:lab:Broker:ReplayTimeout must be positive, got 00:00:00.", e.Failures);
        Assert.Equal(3, e.Failures.Count());
    }

    [Fact]
    public void AddAgentEdge_Broker_BoundWithItsServices()
    {
        using var provider = Provider(new()
        {
            ["EdgePortal:AgentEdge:Clusters:lab:Nodes:h1"] = "http://10.0.0.11:8471/",
            ["EdgePortal:AgentEdge:Clusters:lab:Broker:Uri"] = "amqp://edgeportal:secret@10.0.0.2:5672/",
            ["EdgePortal:AgentEdge:Clusters:lab:Broker:Services:orders:Exchange"] = "orders.in",
            ["EdgePortal:AgentEdge:Clusters:lab:Broker:Services:orders:Queue"] = "orders",
        });
        var broker = provider.GetRequiredService<IOptions<AgentEdgeOptions>>().Value.Clusters["lab"].Broker!;
        Assert.Equal("orders", broker.Services["orders"].Queue);
        Assert.Equal(20, broker.DrainedMessages);
        Assert.Equal(TimeSpan.FromMinutes(2), broker.ReplayTimeout);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAgentEdge(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }
}
