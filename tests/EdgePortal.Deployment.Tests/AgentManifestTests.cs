using EdgePortal.Agent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;

namespace EdgePortal.Deployment.Tests;

/// <summary>
/// deploy/base/agent.yaml and the portal's side of it (issue 14 item 2): the agent DaemonSet is not privileged but holds
/// the named capabilities, stays off control-plane nodes, serves mutual TLS from certificates mounted read-only from a
/// Secret, and neither it nor the portal has a shared token.
/// </summary>
public sealed class AgentManifestTests
{
    /// <summary>The capabilities docs/security.md lists (and the lab verified); the DaemonSet adds exactly these.</summary>
    private static readonly string[] Capabilities = ["CHECKPOINT_RESTORE", "SYS_PTRACE", "SYS_ADMIN", "NET_ADMIN", "NET_RAW"];

    private static V1DaemonSet Agent => KubernetesYaml.LoadAllFromString(File.ReadAllText(RepositoryRoot.File("deploy", "base", "agent.yaml"))).OfType<V1DaemonSet>().Single();

    private static V1Container Container => Assert.Single(Agent.Spec.Template.Spec.Containers);

    [Fact]
    public void DaemonSet_SecurityContext_NamedCapabilitiesNotPrivileged()
    {
        var context = Container.SecurityContext;

        Assert.NotEqual(true, context.Privileged);
        Assert.False(context.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], context.Capabilities.Drop);
        Assert.Equal(Capabilities.Order(StringComparer.Ordinal), context.Capabilities.Add.Order(StringComparer.Ordinal));
        Assert.False(Agent.Spec.Template.Spec.AutomountServiceAccountToken);
    }

    [Fact]
    public void DaemonSet_Scheduling_NeverOnControlPlaneNodes()
    {
        var terms = Agent.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms;

        // Every term (they are ORed) excludes both control-plane labels.
        Assert.NotEmpty(terms);
        Assert.All(terms, t =>
        {
            Assert.Contains(t.MatchExpressions, e => e.Key == "node-role.kubernetes.io/control-plane" && e.OperatorProperty == "DoesNotExist");
            Assert.Contains(t.MatchExpressions, e => e.Key == "node-role.kubernetes.io/master" && e.OperatorProperty == "DoesNotExist");
        });
        // No blanket toleration that would let it onto tainted control-plane nodes.
        Assert.DoesNotContain(Agent.Spec.Template.Spec.Tolerations ?? [], t => t.Key is null && t.OperatorProperty == "Exists");
    }

    [Fact]
    public void DaemonSet_Tls_CertificatesFromASecretReadOnlyWhereTheConfigurationPoints()
    {
        var env = Container.Env.ToDictionary(e => e.Name, e => e.Value);
        var mount = Container.VolumeMounts.Single(m => m.Name == "tls");
        var volume = Agent.Spec.Template.Spec.Volumes.Single(v => v.Name == "tls");

        Assert.StartsWith("https://", env["ASPNETCORE_URLS"], StringComparison.Ordinal);
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("edgeportal-agent-tls", volume.Secret.SecretName);
        foreach (var key in new[] { "CertificateFile", "KeyFile", "ClientAuthorityFile" })
            Assert.StartsWith(mount.MountPath + "/", env[$"EdgePortal__Agent__Tls__{key}"], StringComparison.Ordinal);
        // Each pod its own node's certificate (named after the node, as the portal expects it).
        Assert.Equal("spec.nodeName", Container.Env.Single(e => e.Name == "NODE_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Contains("$(NODE_NAME)", env["EdgePortal__Agent__Tls__CertificateFile"], StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(env["EdgePortal__Agent__Tls__PortalClientNames__0"]));
    }

    [Fact]
    public void DaemonSet_Environment_BindsToTheAgentsOptionsWithoutAToken()
    {
        var env = Container.Env.Where(e => e.Name.StartsWith("EdgePortal__", StringComparison.Ordinal)).ToList();
        var keys = env.Select(e => e.Name).ToList();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(env.Select(e => new KeyValuePair<string, string?>(e.Name.Replace("__", ":", StringComparison.Ordinal), e.Value)))
            .Build();

        Assert.DoesNotContain("EdgePortal__Agent__Token", keys);
        // Every key binds to a property of AgentOptions, with its value: a renamed option fails here, not on a cluster.
        var options = new AgentOptions();
        configuration.GetSection(AgentOptions.Section).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        // Checkpoint images are secrets: the registry over TLS with its CA, the password from a mounted Secret.
        Assert.False(options.Registries["checkpoints"].PlainHttp);
        Assert.StartsWith("/etc/edgeportal/registry/", options.Registries["checkpoints"].CertificateAuthorityFile, StringComparison.Ordinal);
        Assert.StartsWith("/etc/edgeportal/registry/", options.Registries["checkpoints"].PasswordFile, StringComparison.Ordinal);
        Assert.Equal("edgeportal-registry", Container.Env.Single(e => e.Name == "EdgePortal__Agent__Registries__checkpoints__Username").ValueFrom.SecretKeyRef.Name);
        // Probes without a client certificate cannot speak to an mTLS-only agent: TCP only.
        Assert.NotNull(Container.ReadinessProbe.TcpSocket);
        Assert.Null(Container.ReadinessProbe.HttpGet);
    }

    [Fact]
    public void Portal_AgentTls_FromASecretAndNoSharedTokenAnywhere()
    {
        var portal = KubernetesYaml.LoadAllFromString(File.ReadAllText(RepositoryRoot.File("deploy", "base", "portal.yaml"))).OfType<V1Deployment>().Single();
        var container = Assert.Single(portal.Spec.Template.Spec.Containers);
        var mount = container.VolumeMounts.Single(m => m.Name == "agent-tls");

        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("edgeportal-portal-tls", portal.Spec.Template.Spec.Volumes.Single(v => v.Name == "agent-tls").Secret.SecretName);
        foreach (var key in new[] { "CertificateFile", "KeyFile", "AuthorityFile" })
            Assert.StartsWith(mount.MountPath + "/", container.Env.Single(e => e.Name == $"EdgePortal__Kubernetes__Clusters__local__AgentTls__{key}").Value, StringComparison.Ordinal);
        Assert.DoesNotContain(container.Env, e => e.Name.EndsWith("AgentToken", StringComparison.Ordinal));
        Assert.All(Directory.GetFiles(RepositoryRoot.File("deploy"), "*.yaml", SearchOption.AllDirectories),
            f => Assert.DoesNotContain("agent-token", File.ReadAllText(f), StringComparison.Ordinal));
    }
}
