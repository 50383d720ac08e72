namespace EdgePortal.Testing.Lab;

/// <summary>A test class over two agents of its own on loopback, a source and a destination.</summary>
public abstract class TwoAgents : IAsyncLifetime
{
    protected AgentHost Source { get; private set; } = null!;
    protected AgentHost Destination { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Source = await AgentHost.StartAsync();
        Destination = await AgentHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Source.DisposeAsync();
        await Destination.DisposeAsync();
    }
}
