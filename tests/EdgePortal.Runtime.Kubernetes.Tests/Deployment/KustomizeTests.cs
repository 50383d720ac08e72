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
        Assert.Null(PortalDrift(Rendered.Value, Called.Value));
        Assert.DoesNotContain(Rendered.Value.OfType<V1ClusterRole>().SelectMany(r => r.Rules), r => r.Resources.Contains("nodes/proxy"));
    }

    [Fact]
    public void Scan_SourceAssemblies_MapsEveryKubernetesCallTheyMake()
    {
        var (calls, unmapped) = KubernetesCalls.OfSource();

        Assert.Empty(unmapped);
        // The scan sees both the runtime (pods, nodes, workloads, the EdgeMigration watch) and the portal (the reconciler's writes).
        Assert.Contains(KubernetesCalls.SourceAssemblies(), a => a.EndsWith("EdgePortal.Web.dll", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.Grant == "/pods:watch" && c.CalledAs.EndsWith("PodClient.WatchListAsync", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.Grant == "edgeportal.io/edgemigrations/status:update");
    }

    [Fact]
    public void Scan_SourceCalls_AreExactlyWhatTheFakeApiServerServes()
    {
        // The fake serves (and checks against the vendored upstream OpenAPI documents) exactly what the code calls: an
        // operation it serves that nothing calls, or a call it would answer 404, fails here rather than in a test that
        // happens to drive that path.
        var served = FakeKubeApiServer.OperationIds.Select(o => Permission(o.Key, o.Value)).Select(p => $"{p.Grant} {Scope(p.Namespaced)}").ToHashSet(StringComparer.Ordinal);
        var called = Called.Value.Select(c => $"{c.Grant} {Scope(c.Namespaced)}").ToHashSet(StringComparer.Ordinal);

        Assert.True(served.SetEquals(called),
            $"served but never called: {string.Join(", ", served.Except(called))}; called but not served: {string.Join(", ", called.Except(served))}");
    }

    [Fact]
    public void PortalDrift_RoleGrantsSecretsThatNothingCalls_NamesTheUnusedGrant()
    {
        var doctored = Rendered.Value.Select(o => o is V1Role { Metadata.Name: "edgeportal-portal" } role
            ? new V1Role { Metadata = role.Metadata, Rules = [.. role.Rules, new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get"] }] }
            : o).ToList();

        var drift = PortalDrift(doctored, Called.Value);

        Assert.NotNull(drift);
        Assert.Contains("granted but never called: /secrets:get", drift, StringComparison.Ordinal);
    }

    [Fact]
    public void PortalDrift_ClusterRoleLosesAVerbTheCodeCalls_NamesTheMissingGrant()
    {
        var doctored = Rendered.Value.Select(o => o is V1ClusterRole { Metadata.Name: "edgeportal-edgemigrations" } role
            ? new V1ClusterRole { Metadata = role.Metadata, Rules = [.. role.Rules.Select(r => new V1PolicyRule { ApiGroups = r.ApiGroups, Resources = r.Resources, Verbs = [.. r.Verbs.Where(v => v != "watch")] })] }
            : o).ToList();

        var drift = PortalDrift(doctored, Called.Value);

        Assert.NotNull(drift);
        Assert.Contains("called but not granted: edgeportal.io/edgemigrations:watch", drift, StringComparison.Ordinal);
    }

    [Fact]
    public void PortalDrift_CodeCallsAnOperationNoRuleGrants_NamesTheMissingGrant()
    {
        // UngrantedCalls (in this test assembly, never run) reads a Secret and lists ConfigMaps: the scan finds both calls,
        // and deploy/'s rules, which grant neither, fail against them.
        var (tests, _) = KubernetesCalls.Scan(typeof(UngrantedCalls).Assembly.Location);
        var added = tests.Where(c => c.CalledAs.Contains("Secret", StringComparison.Ordinal) || c.CalledAs.Contains("ConfigMap", StringComparison.Ordinal)).ToList();

        var drift = PortalDrift(Rendered.Value, [.. Called.Value, .. added]);

        Assert.Equal(["/configmaps:list", "/secrets:get"], added.Select(c => c.Grant).Order(StringComparer.Ordinal));
        Assert.NotNull(drift);
        Assert.Contains("called but not granted: ", drift, StringComparison.Ordinal);
        Assert.Contains("/secrets:get", drift, StringComparison.Ordinal);
        Assert.Contains("/configmaps:list", drift, StringComparison.Ordinal);
    }

    private static readonly Lazy<IReadOnlyList<KubernetesCall>> Called = new(() => KubernetesCalls.OfSource().Calls);

    private static string Scope(bool namespaced) => namespaced ? "namespaced" : "cluster";

    /// <summary>
    /// Null when the portal's grants are exactly its calls, else what differs: the managed namespace's Role must grant
    /// exactly the namespaced calls, the ClusterRole exactly the cluster-scoped ones (nodes), the EdgeMigration ClusterRole
    /// exactly the controller's calls (its resources live in every tenant's namespace).
    /// </summary>
    private static string? PortalDrift(IReadOnlyList<object> rendered, IReadOnlyList<KubernetesCall> called)
    {
        var role = rendered.OfType<V1Role>().Single(r => r.Name() == "edgeportal-portal");
        var clusterRole = rendered.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-portal");
        var edgeMigrations = rendered.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-edgemigrations");
        var runtime = called.Where(c => !IsEdgeMigrations(c.Grant)).ToList();
        var problems = new[]
        {
            Drift("Role edgeportal-portal", Grants(role.Rules), runtime.Where(c => c.Namespaced)),
            Drift("ClusterRole edgeportal-portal", Grants(clusterRole.Rules), runtime.Where(c => !c.Namespaced)),
            Drift("ClusterRole edgeportal-edgemigrations", Grants(edgeMigrations.Rules), called.Where(c => IsEdgeMigrations(c.Grant))),
        }.OfType<string>().ToList();
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? Drift(string name, HashSet<string> granted, IEnumerable<KubernetesCall> calls)
    {
        var called = calls.Select(c => c.Grant).ToHashSet(StringComparer.Ordinal);
        if (called.SetEquals(granted))
            return null;
        return $"{name}: granted but never called: {string.Join(", ", granted.Except(called).Order(StringComparer.Ordinal))}; " +
            $"called but not granted: {string.Join(", ", called.Except(granted).Order(StringComparer.Ordinal))}";
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
    public void Kustomize_EdgeMigrationRole_IsBoundToThePortal()
    {
        var role = Rendered.Value.OfType<V1ClusterRole>().Single(r => r.Name() == "edgeportal-edgemigrations");
        var binding = Rendered.Value.OfType<V1ClusterRoleBinding>().Single(b => b.RoleRef.Name == role.Name());

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

    [Fact]
    public void Kustomize_RegistryPolicy_AdmitsOnlyTheNodeNetworkOnTheRegistryPort()
    {
        var policy = Rendered.Value.OfType<V1NetworkPolicy>().Single(p => p.Name() == "edgeportal-registry");
        var agent = Rendered.Value.OfType<V1DaemonSet>().Single();
        var registryHost = Assert.Single(agent.Spec.Template.Spec.Containers).Env.Single(e => e.Name == "EdgePortal__Agent__Registries__checkpoints__Host").Value;

        Assert.Null(RegistryPolicyProblem(policy, registryHost));
        // The agents push from the host network, so an ipBlock (the nodes' network) is what admits them, not a pod selector.
        Assert.True(agent.Spec.Template.Spec.HostNetwork);
        // The portal never talks to the registry, and its own egress policy does not open the registry's port.
        var portal = Rendered.Value.OfType<V1NetworkPolicy>().Single(p => p.Name() == "edgeportal-portal");
        Assert.Contains("Egress", portal.Spec.PolicyTypes);
        Assert.DoesNotContain(portal.Spec.Egress.SelectMany(e => e.Ports ?? []), p => p.Port?.Value == RegistryPort(registryHost));
    }

    [Fact]
    public void RegistryPolicyProblem_PolicyAlsoAdmittingPodsOfAnyNamespace_NamesThePeer()
    {
        var policy = Rendered.Value.OfType<V1NetworkPolicy>().Single(p => p.Name() == "edgeportal-registry");
        var rule = Assert.Single(policy.Spec.Ingress);
        var doctored = new V1NetworkPolicy
        {
            Metadata = policy.Metadata,
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = policy.Spec.PodSelector,
                PolicyTypes = policy.Spec.PolicyTypes,
                Ingress = [new V1NetworkPolicyIngressRule { Ports = rule.Ports, FromProperty = [.. rule.FromProperty, new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector() }] }],
            },
        };

        Assert.Contains("namespaceSelector", RegistryPolicyProblem(doctored, "registry.edgeportal.svc:5000"), StringComparison.Ordinal);
        Assert.Contains("port", RegistryPolicyProblem(policy, "registry.edgeportal.svc:5443"), StringComparison.Ordinal);
    }

    private static string RegistryPort(string host) => host[(host.LastIndexOf(':') + 1)..];

    /// <summary>
    /// Null when the policy selects the registry's pods only, restricts their ingress, and admits nothing but TCP on the
    /// port the agents push to, from IP blocks (the nodes' network: the agents on the host network push, the nodes'
    /// container runtimes pull); no pod or namespace selector, no open block.
    /// </summary>
    private static string? RegistryPolicyProblem(V1NetworkPolicy policy, string registryHost)
    {
        var spec = policy.Spec;
        if (spec.PodSelector?.MatchLabels is not { Count: 1 } labels || !labels.TryGetValue("app.kubernetes.io/name", out var name) || name != "edgeportal-registry"
            || spec.PodSelector.MatchExpressions is { Count: > 0 })
            return "the policy must select exactly app.kubernetes.io/name=edgeportal-registry";
        var serviceNamespace = registryHost.Split('.') is { Length: > 2 } parts ? parts[1] : null;
        if (serviceNamespace != policy.Namespace())
            return $"the policy is in namespace {policy.Namespace()}, the registry the agents use ({registryHost}) in {serviceNamespace}";
        if (spec.PolicyTypes?.Contains("Ingress") != true)
            return "policyTypes must include Ingress, or the registry's ingress is open";
        foreach (var rule in spec.Ingress ?? [])
        {
            if (rule.Ports is not { Count: > 0 } ports || ports.Any(p => p.Port?.Value != RegistryPort(registryHost) || p.Protocol != "TCP" || p.EndPort is not null))
                return $"an ingress rule admits a port other than TCP {RegistryPort(registryHost)}: {string.Join(", ", rule.Ports?.Select(p => $"{p.Protocol} {p.Port?.Value}") ?? ["any"])}";
            if (rule.FromProperty is not { Count: > 0 } peers)
                return "an ingress rule admits every source";
            foreach (var peer in peers)
            {
                if (peer.PodSelector is not null || peer.NamespaceSelector is not null)
                    return $"an ingress rule admits pods (podSelector: {peer.PodSelector is not null}, namespaceSelector: {peer.NamespaceSelector is not null}); only the nodes' network may push and pull";
                if (peer.IpBlock?.Cidr is not { } cidr || !System.Net.IPNetwork.TryParse(cidr, out var network) || network.PrefixLength < 8)
                    return $"an ingress rule admits the block {peer.IpBlock?.Cidr}, which is not a node network";
            }
        }
        return null;
    }

    private static IReadOnlyList<object> Render() => KubernetesYaml.LoadAllFromString(Kustomize.Render());
}
