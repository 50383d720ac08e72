using System.Diagnostics;
using EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;
using EdgePortal.Testing;
using k8s;
using k8s.Models;

namespace EdgePortal.Runtime.Kubernetes.Tests.Deployment;

/// <summary>deploy/ renders with the kubectl on this machine, and what it renders is what the runtime needs.</summary>
public sealed class KustomizeTests
{
    private static readonly Lazy<IReadOnlyList<object>> Rendered = new(Render);

    [Fact]
    public void Kustomize_Deploy_RendersEveryKindTheIssueAsksFor()
    {
        var kinds = Rendered.Value.Select(o => o.GetType()).ToList();

        Assert.Contains(typeof(V1Deployment), kinds);
        Assert.Contains(typeof(V1Service), kinds);
        Assert.Contains(typeof(V1PersistentVolumeClaim), kinds);
        Assert.Contains(typeof(V1DaemonSet), kinds);
        Assert.Contains(typeof(V1NetworkPolicy), kinds);
        Assert.Contains(typeof(V1ServiceAccount), kinds);
        Assert.Contains(typeof(V1CustomResourceDefinition), kinds);
        Assert.Equal(3, kinds.Count(k => k == typeof(V1ClusterRole)));
        Assert.Equal(3, kinds.Count(k => k == typeof(V1ClusterRoleBinding)));
        Assert.Equal(1, kinds.Count(k => k == typeof(V1Role)));
        Assert.Equal(1, kinds.Count(k => k == typeof(V1RoleBinding)));
    }

    [Fact]
    public void Kustomize_PortalRole_GrantsExactlyWhatTheRuntimeCalls()
    {
        // Namespaced calls are granted by the Role in the managed namespace, cluster-scoped ones (nodes) by the ClusterRole.
        var role = Rendered.Value.OfType<V1Role>().Single(r => r.Name() == "edgeportal-portal");
        var clusterRole = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-portal");
        var namespaced = Grants(role.Rules);
        var clusterWide = Grants(clusterRole.Rules);
        // What the runtime calls: every operation the fake API server serves (each one checked against the vendored
        // upstream OpenAPI documents, and each one the runtime's tests exercise), as the RBAC authorizer sees it.
        var called = FakeKubeApiServer.OperationIds.Select(o => Permission(o.Key, o.Value)).Where(c => !IsEdgeMigrations(c.Grant)).ToList();
        var calledNamespaced = called.Where(c => c.Namespaced).Select(c => c.Grant).ToHashSet(StringComparer.Ordinal);
        var calledClusterWide = called.Where(c => !c.Namespaced).Select(c => c.Grant).ToHashSet(StringComparer.Ordinal);

        Assert.True(calledNamespaced.SetEquals(namespaced),
            $"Role: granted but never called: {string.Join(", ", namespaced.Except(calledNamespaced))}; called but not granted: {string.Join(", ", calledNamespaced.Except(namespaced))}");
        Assert.True(calledClusterWide.SetEquals(clusterWide),
            $"ClusterRole: granted but never called: {string.Join(", ", clusterWide.Except(calledClusterWide))}; called but not granted: {string.Join(", ", calledClusterWide.Except(clusterWide))}");
        Assert.DoesNotContain(Rendered.Value.OfType<V1ClusterRole>().SelectMany(r => r.Rules), r => r.Resources.Contains("nodes/proxy"));
    }

    [Fact]
    public void Kustomize_PortalRole_IsBoundInTheManagedNamespaceToThePortalsServiceAccount()
    {
        var role = Rendered.Value.OfType<V1Role>().Single(r => r.Name() == "edgeportal-portal");
        var binding = Rendered.Value.OfType<V1RoleBinding>().Single(b => b.RoleRef.Name == role.Name());
        var portal = Rendered.Value.OfType<V1Deployment>().Single();
        var managed = Assert.Single(portal.Spec.Template.Spec.Containers).Env.Single(e => e.Name == "EdgePortal__Kubernetes__Clusters__local__Namespace").Value;

        Assert.Equal(managed, role.Namespace());
        Assert.Equal(managed, binding.Namespace());
        Assert.Equal("Role", binding.RoleRef.Kind);
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "edgeportal", "edgeportal"), (subject.Kind, subject.Name, subject.NamespaceProperty));
        Assert.Contains(Rendered.Value.OfType<V1Namespace>(), n => n.Name() == managed);
    }

    [Fact]
    public void Kustomize_EdgeMigrationRole_GrantsExactlyWhatTheControllerCallsToThePortal()
    {
        var role = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-edgemigrations");
        var binding = Rendered.Value.OfType<V1ClusterRoleBinding>().Single(b => b.RoleRef.Name == role.Name());
        var granted = Grants(role.Rules);
        var called = FakeKubeApiServer.OperationIds.Select(o => Permission(o.Key, o.Value).Grant).Where(IsEdgeMigrations).ToHashSet(StringComparer.Ordinal);

        Assert.True(called.SetEquals(granted),
            $"granted but never called: {string.Join(", ", granted.Except(called))}; called but not granted: {string.Join(", ", called.Except(granted))}");
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "edgeportal", "edgeportal"), (subject.Kind, subject.Name, subject.NamespaceProperty));
    }

    /// <summary>The EdgeMigration controller's grants: its own ClusterRole (its resources live in every tenant's namespace).</summary>
    private static bool IsEdgeMigrations(string permission) => permission.StartsWith("edgeportal.io/", StringComparison.Ordinal);

    private static HashSet<string> Grants(IEnumerable<V1PolicyRule> rules) =>
        rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}:{v}"))))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The RBAC attributes of an operation: API group, resource (with subresource) and verb; and whether it is namespaced.</summary>
    private static (string Grant, bool Namespaced) Permission(Operation operation, string operationId)
    {
        var op = OpenApiSpec.Vendored.Operations.Single(o => o.OperationId == operationId);
        var parts = op.PathTemplate.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var group = parts[0] == "api" ? "" : parts[1];
        var rest = parts.Skip(parts[0] == "api" ? 2 : 3).Where(p => !p.StartsWith('{')).ToList();
        var namespaced = rest.FirstOrDefault() == "namespaces";
        if (namespaced)
            rest.RemoveAt(0);
        var resource = string.Join("/", rest);
        var verb = operation is Operation.WatchPods or Operation.WatchEdgeMigrations ? "watch" : op.Action switch
        {
            "post" or "connect" => "create",
            "put" => "update",
            var action => action,
        };
        return ($"{group}/{resource}:{verb}", namespaced);
    }

    [Fact]
    public void Kustomize_AgentIdentity_HoldsCreateOnNodesCheckpointOnly()
    {
        var agent = Rendered.Value.OfType<V1DaemonSet>().Single();
        var account = agent.Spec.Template.Spec.ServiceAccountName;
        var bindings = Rendered.Value.OfType<V1ClusterRoleBinding>().Where(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account)).ToList();
        var binding = Assert.Single(bindings);
        var role = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == binding.RoleRef.Name);

        Assert.Equal("edgeportal-agent", account);
        Assert.Equal(["/nodes/checkpoint:create"], Grants(role.Rules));
        Assert.DoesNotContain(Rendered.Value.OfType<V1RoleBinding>(), b => b.Subjects.Any(s => s.Name == account));
        // The token the kubelet checks is projected (short-lived), and the agent is told where it and the kubelet are.
        Assert.Contains(agent.Spec.Template.Spec.Volumes, v => v.Projected?.Sources.Any(s => s.ServiceAccountToken is not null) == true);
        var env = Assert.Single(agent.Spec.Template.Spec.Containers).Env.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string> { "EdgePortal__Agent__Kubelet__Url", "EdgePortal__Agent__Kubelet__TokenFile", "EdgePortal__Agent__Kubelet__CertificateAuthorityFile", "EdgePortal__Agent__Kubelet__CrictlPath" }, env);
    }

    [Fact]
    public void Kustomize_Agent_NamedCapabilitiesNotPrivilegedWithTheCheckpointHostPath()
    {
        var agent = Rendered.Value.OfType<V1DaemonSet>().Single();
        var container = Assert.Single(agent.Spec.Template.Spec.Containers);

        // Not privileged (issue 14 item 2): root with named capabilities reads the kubelet's root-owned archives.
        Assert.NotEqual(true, container.SecurityContext?.Privileged);
        Assert.Equal(0, container.SecurityContext?.RunAsUser);
        Assert.Equal(["ALL"], container.SecurityContext?.Capabilities?.Drop);
        Assert.Contains(agent.Spec.Template.Spec.Volumes, v => v.HostPath?.Path == "/var/lib/kubelet/checkpoints");
        Assert.Contains(container.Ports, p => p.ContainerPort == 8471);
    }

    [Fact]
    public void Kustomize_Portal_MountsThePvcWhereTheDatabaseLives()
    {
        var portal = Rendered.Value.OfType<V1Deployment>().Single();
        var container = Assert.Single(portal.Spec.Template.Spec.Containers);
        var claim = Rendered.Value.OfType<V1PersistentVolumeClaim>().Single();

        Assert.Contains(portal.Spec.Template.Spec.Volumes, v => v.PersistentVolumeClaim?.ClaimName == claim.Name());
        Assert.Contains(container.Env, e => e.Name == "EdgePortal__Storage__Path" && e.Value.StartsWith("/data/", StringComparison.Ordinal));
        Assert.Equal("edgeportal", portal.Spec.Template.Spec.ServiceAccountName);
    }

    private static IReadOnlyList<object> Render()
    {
        var kubectl = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("kubectl is not installed: this test renders deploy/ with `kubectl kustomize` and cannot run without it.");
        var deploy = RepositoryRoot.File("deploy");
        using var process = Process.Start(new ProcessStartInfo(kubectl, ["kustomize", deploy])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl kustomize deploy/ failed: {error}");
        return KubernetesYaml.LoadAllFromString(output.Result);
    }
}
