using Xunit.Abstractions;

namespace EdgePortal.Deployment.Tests.Images;

/// <summary>
/// The agent image, built from the Dockerfile: every program the agent starts is in it and runs there. That the agent
/// itself starts and its CRIU works with the capabilities of deploy/hosts is Hosts/HostDeploymentTests.
/// </summary>
[Collection(ImageCollection.Name)]
public sealed class AgentImageTests(ImageFixture images, ITestOutputHelper output)
{
    [Theory]
    [InlineData("/usr/local/sbin/criu --version", "Version: 4.2")]
    [InlineData("nsenter --version", "nsenter from util-linux")]
    [InlineData("ip -V", "iproute2")]
    [InlineData("nft --version", "nftables v")]
    [InlineData("arping -V", "arping from iputils")]
    [InlineData("socat -V", "socat version")]
    [InlineData("curl --version", "curl ")]
    public async Task Agent_Image_RunsTheProgramTheAgentCalls(string command, string expected)
    {
        var image = await images.BuildAsync("agent");
        output.WriteLine(image.ToString());

        var result = await Podman.RunAsync(["run", "--rm", "--network", "none", "--entrypoint", "sh", image.Tag, "-c", command + " 2>&1"], TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, $"{command} exited {result.ExitCode} in the agent image: {result.Output}");
        Assert.Contains(expected, result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_Image_HasNoContainerEngineAndNoToolchain()
    {
        var image = await images.BuildAsync("agent");

        var engines = await Podman.RunCheckedAsync(
            ["run", "--rm", "--network", "none", "--entrypoint", "sh", image.Tag, "-c",
             "for p in podman runc crun conmon buildah gcc make protoc; do command -v $p || true; done"],
            TimeSpan.FromMinutes(1));
        var dotnet = await Podman.RunCheckedAsync(["run", "--rm", "--network", "none", "--entrypoint", "ls", image.Tag, "/usr/share/dotnet"], TimeSpan.FromMinutes(1));

        // The host's Podman is reached through its socket (deploy/hosts); the compilers stay in the build stages.
        Assert.Equal("", engines.Trim());
        Assert.DoesNotContain("sdk", dotnet.Split('\n', StringSplitOptions.TrimEntries));
    }
}
