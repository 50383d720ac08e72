namespace EdgePortal.Web.Tests.Hosting;

/// <summary>
/// A test class over one portal of its own on a temp LiteDB file (the demo edge seeded), with a client that holds the
/// bootstrap (ProviderAdmin) key. More portals a test needs go in <see cref="Folder"/> too.
/// </summary>
public abstract class PortalTest : IAsyncLifetime
{
    private protected TempFolder Folder { get; } = new();
    private protected PortalFactory Factory { get; private set; } = null!;
    private protected HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Factory = new PortalFactory(Folder.File("portal.db"));
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        Folder.Dispose();
    }
}
