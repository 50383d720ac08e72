using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using EdgePortal.Runtime.Kubernetes.EdgeMigrations;
using EdgePortal.Testing;

namespace EdgePortal.Runtime.Kubernetes.Tests.Deployment;

/// <summary>A Kubernetes API call as the RBAC authorizer sees it: "group/resource[/subresource]:verb", and its scope.</summary>
internal sealed record KubernetesCall(string Grant, bool Namespaced, string CalledAs);

/// <summary>
/// The Kubernetes API operations compiled code calls, read from the assemblies' metadata: every method of the
/// KubernetesClient's operation groups (<c>CoreV1OperationsExtensions.ReadNamespacedPodAsync</c>,
/// <c>ICoreV1Operations.…WithHttpMessagesAsync</c>) and of its ClientSets (<c>PodClient.WatchListAsync</c>) that an
/// assembly references, whatever the syntax that reached it (a variable, a lambda, an async state machine), mapped to
/// the RBAC attributes by the client's naming (verb prefix, Namespaced, kind, Status/Scale subresource).
/// A referenced API member this cannot map is returned in <c>Unmapped</c>, so a new way of calling the API fails the test
/// until it is understood here.
/// </summary>
internal static class KubernetesCalls
{
    private static readonly string[] ClusterScopedKinds = ["Node", "Namespace", "PersistentVolume", "StorageClass", "CustomResourceDefinition"];

    /// <summary>The src/ projects whose code can reach the Kubernetes API: those referencing the client or the runtime.</summary>
    public static IReadOnlyList<string> SourceAssemblies() =>
        [.. Directory.EnumerateFiles(RepositoryRoot.File("src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => File.ReadAllText(p) is var text && (text.Contains("\"KubernetesClient\"", StringComparison.Ordinal)
                || text.Contains("EdgePortal.Runtime.Kubernetes.csproj", StringComparison.Ordinal)))
            .Select(p => Path.Combine(AppContext.BaseDirectory, Path.GetFileNameWithoutExtension(p) + ".dll"))
            .Order(StringComparer.Ordinal)];

    /// <summary>The calls of every src/ assembly that can reach the Kubernetes API.</summary>
    public static (IReadOnlyList<KubernetesCall> Calls, IReadOnlyList<string> Unmapped) OfSource()
    {
        var calls = new List<KubernetesCall>();
        var unmapped = new List<string>();
        foreach (var assembly in SourceAssemblies())
        {
            Assert.True(File.Exists(assembly), $"{assembly} is not beside the tests: reference its project so its Kubernetes calls are checked.");
            var (c, u) = Scan(assembly);
            calls.AddRange(c);
            unmapped.AddRange(u);
        }
        return (calls, unmapped);
    }

    public static (IReadOnlyList<KubernetesCall> Calls, IReadOnlyList<string> Unmapped) Scan(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var md = pe.GetMetadataReader();
        var calls = new List<KubernetesCall>();
        var unmapped = new List<string>();
        foreach (var handle in md.MemberReferences)
        {
            var member = md.GetMemberReference(handle);
            if (member.GetKind() != MemberReferenceKind.Method || member.Parent.Kind != HandleKind.TypeReference)
                continue;
            var type = md.GetTypeReference((TypeReferenceHandle)member.Parent);
            var (ns, typeName, method) = (md.GetString(type.Namespace), md.GetString(type.Name), md.GetString(member.Name));
            var calledAs = $"{ns}.{typeName}.{method}";
            switch (Classify(ns, typeName, method))
            {
                case Kind.NotAnApiCall:
                    break;
                case Kind.Operation when Map(typeName, method) is { } call:
                    calls.Add(call with { CalledAs = calledAs });
                    break;
                case Kind.ClientSet when MapClientSet(typeName, method) is { } call:
                    calls.Add(call with { CalledAs = calledAs });
                    break;
                default:
                    unmapped.Add(calledAs);
                    break;
            }
        }
        return (calls, unmapped);
    }

    private enum Kind { NotAnApiCall, Operation, ClientSet, Unknown }

    private static Kind Classify(string ns, string type, string method)
    {
        if (ns == "k8s" && (type.EndsWith("OperationsExtensions", StringComparison.Ordinal) || type.StartsWith('I') && type.EndsWith("Operations", StringComparison.Ordinal)))
            return Kind.Operation;
        if (ns == "k8s.ClientSets")
            return type.EndsWith("GroupClient", StringComparison.Ordinal) || type == "ClientSet" || method.StartsWith("get_", StringComparison.Ordinal) || method == ".ctor"
                ? Kind.NotAnApiCall
                : Kind.ClientSet;
        // Other ways to reach the API server: the generic client, or a raw request through the client's HttpClient.
        if (ns == "k8s" && (type == "GenericClient" || type is "Kubernetes" or "IKubernetes" or "AbstractKubernetes" && method.Contains("SendRequest", StringComparison.Ordinal)))
            return Kind.Unknown;
        return Kind.NotAnApiCall;
    }

    /// <summary>"CoreV1OperationsExtensions.PatchNamespacedPodAsync" → "/pods:patch", namespaced.</summary>
    internal static KubernetesCall? Map(string type, string method)
    {
        var groupName = type.StartsWith('I') && type.EndsWith("Operations", StringComparison.Ordinal) ? type[1..^"Operations".Length] : type[..^"OperationsExtensions".Length];
        var name = method.Replace("WithHttpMessages", "", StringComparison.Ordinal);
        if (!name.EndsWith("Async", StringComparison.Ordinal))
            return null;
        name = name[..^"Async".Length];
        string? verb = null;
        foreach (var (prefix, v) in Verbs)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                (verb, name) = (v, name[prefix.Length..]);
                break;
            }
        }
        if (verb is null)
            return null;
        var namespaced = name.StartsWith("Namespaced", StringComparison.Ordinal);
        if (namespaced)
            name = name["Namespaced".Length..];
        if (name.EndsWith("ForAllNamespaces", StringComparison.Ordinal))
            name = name[..^"ForAllNamespaces".Length];
        var subresource = "";
        foreach (var sub in (string[])["Status", "Scale", "Ephemeralcontainers", "Eviction", "Binding"])
        {
            if (name.EndsWith(sub, StringComparison.Ordinal) && name.Length > sub.Length)
            {
                (subresource, name) = ("/" + sub.ToLowerInvariant(), name[..^sub.Length]);
                break;
            }
        }
        string group, resource;
        if (groupName == "CustomObjects")
        {
            // The only custom resource the portal knows is EdgeMigration; another would have to be named here.
            if (name is not ("CustomObject" or "ClusterCustomObject"))
                return null;
            (group, resource) = (EdgeMigration.Group, EdgeMigration.Plural);
        }
        else if (Groups.TryGetValue(groupName, out var g))
            (group, resource) = (g, Plural(name));
        else
            return null;
        return new KubernetesCall($"{group}/{resource}{subresource}:{verb}", namespaced, "");
    }

    /// <summary>"PodClient.WatchListAsync" → "/pods:watch"; the ClientSets are core/v1 and apps/v1 kinds.</summary>
    private static KubernetesCall? MapClientSet(string type, string method)
    {
        if (!type.EndsWith("Client", StringComparison.Ordinal))
            return null;
        var kind = type[..^"Client".Length];
        var verb = method switch
        {
            "WatchListAsync" => "watch",
            "ListAsync" => "list",
            "GetAsync" => "get",
            "CreateAsync" => "create",
            "PatchAsync" => "patch",
            "UpdateAsync" => "update",
            "DeleteAsync" => "delete",
            _ => null,
        };
        if (verb is null)
            return null;
        var group = kind is "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "ControllerRevision" ? "apps" : "";
        return new KubernetesCall($"{group}/{Plural(kind)}:{verb}", !ClusterScopedKinds.Contains(kind), "");
    }

    private static readonly (string Prefix, string Verb)[] Verbs =
    [
        ("WatchList", "watch"), ("List", "list"), ("Read", "get"), ("Get", "get"), ("Create", "create"), ("Patch", "patch"),
        ("Replace", "update"), ("DeleteCollection", "deletecollection"), ("Delete", "delete"),
    ];

    private static readonly Dictionary<string, string> Groups = new(StringComparer.Ordinal)
    {
        ["CoreV1"] = "",
        ["AppsV1"] = "apps",
        ["BatchV1"] = "batch",
        ["CoordinationV1"] = "coordination.k8s.io",
        ["NetworkingV1"] = "networking.k8s.io",
        ["PolicyV1"] = "policy",
    };

    private static string Plural(string kind)
    {
        var lower = kind.ToLowerInvariant();
        return lower.EndsWith('s') ? lower : lower.EndsWith('y') ? lower[..^1] + "ies" : lower + "s";
    }
}
