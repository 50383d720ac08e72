using EdgePortal.Core.Domain;

namespace EdgePortal.Runtime.Agent.Tests;

/// <summary>
/// What a host's capabilities say about its containers, from the agent's probe: Podman's own words and what containers can
/// run there (Cold), with the reason for each strategy they cannot; nothing at all where the agent drives no Podman.
/// </summary>
public sealed class ContainerCapabilitiesTests
{
    private static readonly CriuCapabilities Criu = new("4.2.1", true, false, true, [], "Looks good.", LazyPages: true);

    [Fact]
    public void Host_AgentDrivesNoPodman_DetailIsCriusAlone()
    {
        var host = AgentCapabilities.Host(new AgentClusterOptions(), Criu);

        Assert.Equal("CRIU 4.2.1, dirty tracking off, TCP repair yes, lazy pages yes", host.Detail);
    }

    [Fact]
    public void Host_PodmanRuntimeIgnoresCriuConfig_DetailSaysContainersColdOnlyWithTheReasons()
    {
        var podman = new PodmanCapabilities("4.3.1", true, "runc version 1.1.5+ds1", true, false, false, true, "Podman 4.3.1 (API socket), OCI runtime runc version 1.1.5+ds1: checkpoint/restore of containers");

        var detail = AgentCapabilities.Host(new AgentClusterOptions(), Criu with { Podman = podman }).Detail!;

        Assert.StartsWith("CRIU 4.2.1, dirty tracking off, TCP repair yes, lazy pages yes; Podman 4.3.1 (API socket)", detail, StringComparison.Ordinal);
        Assert.Contains("containers: Cold (MessageReplay/ReplayWithCutoff need a runtime that honours org.criu.config", detail, StringComparison.Ordinal);
        Assert.Contains("PostCopy lazy pages", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_PodmanRuntimeHonoursCriuConfig_DetailSaysContainersReplayToo()
    {
        var podman = new PodmanCapabilities("4.3.1", false, "runc version 1.1.5+ds1", true, false, false, true, "Podman 4.3.1, OCI runtime runc version 1.1.5+ds1: checkpoint/restore of containers", TcpClose: true);

        var detail = AgentCapabilities.Host(new AgentClusterOptions(), Criu with { Podman = podman }).Detail!;

        Assert.Contains("containers: Cold, MessageReplay and ReplayWithCutoff (the copy restored with its connections closed through org.criu.config", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_PodmanCannotCheckpoint_DetailSaysContainersCannotMigrateAndWhy()
    {
        var podman = new PodmanCapabilities("4.3.1", false, "crun version 1.8.1", false, false, false, false, "Podman 4.3.1, OCI runtime crun version 1.8.1: crun cannot checkpoint (built without CRIU; use runc)");

        var detail = AgentCapabilities.Host(new AgentClusterOptions(), Criu with { Podman = podman }).Detail!;

        Assert.Contains("containers cannot migrate here: Podman 4.3.1, OCI runtime crun version 1.8.1: crun cannot checkpoint", detail, StringComparison.Ordinal);
        // The processes of the host still migrate: the strategies are the host's, not its containers'.
        Assert.Contains(MigrationStrategy.Cold, AgentCapabilities.Host(new AgentClusterOptions(), Criu with { Podman = podman }).Strategies);
    }
}
