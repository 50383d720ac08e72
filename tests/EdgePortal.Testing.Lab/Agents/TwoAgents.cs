namespace EdgePortal.Testing.Lab;

/// <summary>A test class over two agents of its own on loopback, a source and a destination, peers of each other.</summary>
public abstract class TwoAgents : IAsyncLifetime
{
    protected AgentHost Source { get; private set; } = null!;
    protected AgentHost Destination { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var agents = await AgentHost.StartManyAsync(new AgentSpec("source"), new AgentSpec("destination"));
        Source = agents[0];
        Destination = agents[1];
    }

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}
