using EdgePortal.Core.Security;
using EdgePortal.Runtime.Simulated;
using EdgePortal.Web.Security;
using EdgePortal.Web.Tests.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgePortal.Web.Tests.Security;

/// <summary>One portal shared by a test class, with an API key per role (tenant roles of SkyFleet) to call it as.</summary>
public sealed class SecuredPortal : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly Dictionary<string, string> _keys = [];

    public SecuredPortal()
    {
        Factory = new PortalFactory(_folder.File("edge.db"), new Dictionary<string, string?>
        {
            // Slow: a migration a test starts stays in flight for the whole test.
            ["EdgePortal:Simulator:SpeedFactor"] = "0.05",
        });
        var keys = Factory.Services.GetRequiredService<ApiKeyService>();
        foreach (var role in PortalRoles.All)
            _keys[role] = keys.Create($"test-{role}", role, DemoEdge.SkyFleet.Value, DateTimeOffset.UtcNow.AddDays(1), "test").Key;
        ArenaAdminKey = keys.Create("arena-admin", PortalRoles.TenantAdmin, DemoEdge.ArenaPlay.Value, null, "test").Key;
    }

    internal PortalFactory Factory { get; }

    /// <summary>A tenant admin of the other demo tenant.</summary>
    public string ArenaAdminKey { get; }

    public string Key(string role) => _keys[role];

    /// <summary>A client that calls as <paramref name="role"/> (null: anonymous), following no redirects.</summary>
    public HttpClient As(string? role)
        => PortalFactory.Authorize(Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }), role is null ? null : Key(role));

    public HttpClient WithKey(string key)
        => PortalFactory.Authorize(Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }), key);

    public void Dispose()
    {
        Factory.Dispose();
        _folder.Dispose();
    }
}
