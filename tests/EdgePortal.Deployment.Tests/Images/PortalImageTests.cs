using System.Net;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace EdgePortal.Deployment.Tests.Images;

/// <summary>The portal image, built from the Dockerfile and run as the Dockerfile's header says (published port, /data).</summary>
[Collection(ImageCollection.Name)]
public sealed class PortalImageTests(ImageFixture images, ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Portal_RunFromItsImage_AnswersHealthzAndServesItsStaticAssets()
    {
        var image = await images.BuildAsync("portal");
        output.WriteLine(image.ToString());
        var name = Podman.UniqueName("edgeportal-portal-test");
        try
        {
            // Podman picks the host port (127.0.0.1::8080): no fixed port on a shared machine.
            await Podman.RunCheckedAsync(["run", "--detach", "--name", name, "--publish", "127.0.0.1::8080", image.Tag], TimeSpan.FromMinutes(1));
            var published = (await Podman.RunCheckedAsync(["port", name, "8080/tcp"], TimeSpan.FromMinutes(1))).Trim();
            using var client = new HttpClient { BaseAddress = new Uri($"http://{published}"), Timeout = TimeSpan.FromSeconds(10) };

            var health = await Podman.WaitForAnswerAsync(client, "/healthz", name, StartTimeout);
            var css = await client.GetAsync("/css/edgeportal.css");
            var blazor = await client.GetAsync("/_framework/blazor.web.js");

            Assert.Equal("Healthy", health);
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
            Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
            Assert.Equal(await File.ReadAllTextAsync(RepositoryRoot.File("wwwroot", "css", "edgeportal.css")), await css.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, blazor.StatusCode);
            Assert.Contains("javascript", blazor.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            // The image's own HEALTHCHECK (curl inside the container) agrees, and the portal runs as the unprivileged user
            // that owns /data, where it keeps its database.
            await Podman.RunCheckedAsync(["healthcheck", "run", name], TimeSpan.FromMinutes(1));
            Assert.Equal("app", (await Podman.ExecAsync(name, "id", "-un")).Trim());
            Assert.Contains("edgeportal.db", await Podman.ExecAsync(name, "ls", "/data"), StringComparison.Ordinal);
        }
        finally
        {
            await Podman.RemoveAsync(name);
        }
    }

    [Fact]
    public async Task Portal_Image_RunsTheReleaseBuildWithoutTheSdk()
    {
        var image = await images.BuildAsync("portal");

        var listing = await Podman.RunCheckedAsync(
            ["run", "--rm", "--entrypoint", "sh", image.Tag, "-c", "ls /app; echo ---; ls /usr/share/dotnet; echo ---; ls /usr/share/dotnet/shared"],
            TimeSpan.FromMinutes(1));
        var parts = listing.Split("---\n");

        Assert.Contains("EdgePortal.Web.dll", parts[0], StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"^sdk$", RegexOptions.Multiline), parts[1]);
        Assert.Contains("Microsoft.AspNetCore.App", parts[2], StringComparison.Ordinal);
    }
}
