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
    }

    [Fact]
    public void Kustomize_PortalRole_GrantsExactlyWhatTheRuntimeCalls()
    {
        var role = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-portal");
        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}:{v}"))))
            .ToHashSet(StringComparer.Ordinal);
        // What the runtime calls: every operation the fake API server serves (each one checked against the vendored
        // upstream OpenAPI documents, and each one the runtime's tests exercise), as the RBAC authorizer sees it.
        var called = FakeKubeApiServer.OperationIds.Select(o => Permission(o.Key, o.Value)).Where(p => !IsEdgeMigrations(p)).ToHashSet(StringComparer.Ordinal);

        Assert.True(called.SetEquals(granted),
            $"granted but never called: {string.Join(", ", granted.Except(called))}; called but not granted: {string.Join(", ", called.Except(granted))}");
    }

    [Fact]
    public void Kustomize_EdgeMigrationRole_GrantsExactlyWhatTheControllerCallsToThePortal()
    {
        var role = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-edgemigrations");
        var binding = Rendered.Value.OfType<V1ClusterRoleBinding>().Single(b => b.RoleRef.Name == role.Name());
        var granted = role.Rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}/{res}:{v}"))))
            .ToHashSet(StringComparer.Ordinal);
        var called = FakeKubeApiServer.OperationIds.Select(o => Permission(o.Key, o.Value)).Where(IsEdgeMigrations).ToHashSet(StringComparer.Ordinal);

        Assert.True(called.SetEquals(granted),
            $"granted but never called: {string.Join(", ", granted.Except(called))}; called but not granted: {string.Join(", ", called.Except(granted))}");
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", "edgeportal", "edgeportal"), (subject.Kind, subject.Name, subject.NamespaceProperty));
    }

    /// <summary>The EdgeMigration controller's grants: its own ClusterRole (its resources live in every tenant's namespace).</summary>
    private static bool IsEdgeMigrations(string permission) => permission.StartsWith("edgeportal.io/", StringComparison.Ordinal);

    /// <summary>The RBAC attributes of an operation: API group, resource (with subresource) and verb.</summary>
    private static string Permission(Operation operation, string operationId)
    {
        var op = OpenApiSpec.Vendored.Operations.Single(o => o.OperationId == operationId);
        var parts = op.PathTemplate.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var group = parts[0] == "api" ? "" : parts[1];
        var rest = parts.Skip(parts[0] == "api" ? 2 : 3).Where(p => !p.StartsWith('{')).ToList();
        if (rest.FirstOrDefault() == "namespaces")
            rest.RemoveAt(0);
        var resource = string.Join("/", rest);
        var verb = operation is Operation.WatchPods or Operation.WatchEdgeMigrations ? "watch" : op.Action switch
        {
            "post" or "connect" => "create",
            "put" => "update",
            var action => action,
        };
        return $"{group}/{resource}:{verb}";
    }

    [Fact]
    public void Kustomize_CheckpointRole_IsBoundToTheKubeletClientUser()
    {
        var role = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-kubelet-checkpoint");
        var binding = Rendered.Value.OfType<V1ClusterRoleBinding>().Single(b => b.RoleRef.Name == role.Name());

        AssertGrants(role, "nodes/checkpoint", "create");
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal("User", subject.Kind);
        Assert.Equal("kube-apiserver-kubelet-client", subject.Name);
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

    private static void AssertGrants(V1ClusterRole role, string resource, params string[] verbs)
    {
        var rule = role.Rules.FirstOrDefault(r => r.Resources.Contains(resource));
        Assert.True(rule is not null, $"{role.Name()} has no rule for {resource}");
        Assert.All(verbs, verb => Assert.Contains(verb, rule.Verbs));
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
