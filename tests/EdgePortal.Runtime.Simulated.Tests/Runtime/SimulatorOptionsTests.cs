using EdgePortal.Core.Domain;
using EdgePortal.Core.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

public sealed class SimulatorOptionsTests
{
    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSimulatedEdge(configuration);
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData("EdgePortal:Simulator:SpeedFactor", "0", "EdgePortal:Simulator:SpeedFactor must be > 0")]
    [InlineData("EdgePortal:Simulator:SpeedFactor", "-2", "EdgePortal:Simulator:SpeedFactor must be > 0")]
    [InlineData("EdgePortal:Simulator:NoiseCoefficientOfVariation", "-0.1", "EdgePortal:Simulator:NoiseCoefficientOfVariation must be ≥ 0")]
    [InlineData("EdgePortal:Simulator:FailureProbability", "1.5", "EdgePortal:Simulator:FailureProbability must lie in [0, 1]")]
    [InlineData("EdgePortal:Simulator:StepFailureProbabilities:Transfer", "2", "EdgePortal:Simulator:StepFailureProbabilities:Transfer must lie in [0, 1]")]
    [InlineData("EdgePortal:Simulator:StepFailureProbabilities:Teleport", "0.5", "EdgePortal:Simulator:StepFailureProbabilities:Teleport is not a step kind")]
    public void AddSimulatedEdge_InvalidSetting_ValidationNamesTheKey(string key, string value, string expected)
    {
        var provider = Provider(new() { [key] = value });

        var options = provider.GetRequiredService<IOptions<SimulatorOptions>>();
        var error = Assert.Throws<OptionsValidationException>(() => options.Value);

        Assert.Contains(error.Failures, f => f.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AddSimulatedEdge_InvalidSetting_StartupValidationFails()
    {
        var provider = Provider(new() { ["EdgePortal:Simulator:SpeedFactor"] = "0" });

        var validator = provider.GetRequiredService<IStartupValidator>();
        var error = Assert.Throws<OptionsValidationException>(validator.Validate);

        Assert.Contains("EdgePortal:Simulator:SpeedFactor must be > 0", error.Message);
    }

    [Fact]
    public void AddSimulatedEdge_NoSettings_Defaults()
    {
        var options = Provider([]).GetRequiredService<IOptions<SimulatorOptions>>().Value;

        Assert.Equal(1.0, options.SpeedFactor);
        Assert.Equal(0.08, options.NoiseCoefficientOfVariation);
        Assert.Equal(0, options.FailureProbability);
        Assert.Null(options.RandomSeed);
        Assert.Empty(options.StepFailureProbabilities);
    }

    [Fact]
    public void AddSimulatedEdge_ValidSettings_Bound()
    {
        var options = Provider(new()
        {
            ["EdgePortal:Simulator:SpeedFactor"] = "10",
            ["EdgePortal:Simulator:NoiseCoefficientOfVariation"] = "0",
            ["EdgePortal:Simulator:FailureProbability"] = "0.1",
            ["EdgePortal:Simulator:StepFailureProbabilities:restore"] = "0.5",
            ["EdgePortal:Simulator:RandomSeed"] = "42",
        }).GetRequiredService<IOptions<SimulatorOptions>>().Value;

        Assert.Equal(10, options.SpeedFactor);
        Assert.Equal(0, options.NoiseCoefficientOfVariation);
        Assert.Equal(42, options.RandomSeed);
        Assert.Equal(0.5, options.FailureProbabilityFor(StepKind.Restore));
        Assert.Equal(0.1, options.FailureProbabilityFor(StepKind.Transfer));
    }

    [Fact]
    public void AddSimulatedEdge_Registrations_ResolveTheSimulatedRuntime()
    {
        var provider = Provider(new() { ["EdgePortal:Simulator:SpeedFactor"] = "5" });

        var runtime = Assert.Single(provider.GetServices<IEdgeRuntime>());

        Assert.IsType<SimulatedEdgeRuntime>(runtime);
        Assert.Equal(ClusterKind.Simulated, runtime.Kind);
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
        Assert.Same(provider.GetRequiredService<SimulatedEdge>(), provider.GetRequiredService<SimulatedEdge>());
    }

    [Fact]
    public void AddSimulatedEdge_HostTimeProviderRegisteredFirst_IsKept()
    {
        var services = new ServiceCollection();
        var own = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        services.AddSingleton<TimeProvider>(own);

        services.AddSimulatedEdge(new ConfigurationBuilder().Build());

        Assert.Same(own, services.BuildServiceProvider().GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void Constructor_InvalidOptionsBuiltByHand_Throws()
    {
        var error = Assert.Throws<OptionsValidationException>(() => new SimulatedEdgeRuntime(new SimulatedEdge(),
            Microsoft.Extensions.Options.Options.Create(new SimulatorOptions { SpeedFactor = 0 }), TimeProvider.System,
            NullLogger<SimulatedEdgeRuntime>.Instance));

        Assert.Contains("EdgePortal:Simulator:SpeedFactor", error.Message);
    }
}
