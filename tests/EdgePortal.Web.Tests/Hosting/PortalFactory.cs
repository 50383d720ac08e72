using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace EdgePortal.Web.Tests.Hosting;

/// <summary>
/// The real portal (Program, AddEdgePortal, UseEdgePortal) in a test server, on a LiteDB file of the
/// test's choosing, with any further settings layered on top the way an operator would set them.
/// </summary>
internal sealed class PortalFactory(string databasePath, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("EdgePortal:Storage:Path", databasePath);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }
}

/// <summary>A temp folder for a test's database files, deleted with everything in it.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("edgeportal-host-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
