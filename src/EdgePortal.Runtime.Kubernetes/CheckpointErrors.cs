using System.Net;
using System.Text.Json;
using k8s.Autorest;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// Words for an operator from what the kubelet answered to <c>POST /checkpoint/{ns}/{pod}/{container}?timeout=</c>, asked by
/// the node's agent with its own service account token (the portal reaches no kubelet): 401 when the kubelet does not
/// authenticate that token (webhook authentication off, no token mounted), 403 when its SubjectAccessReview finds no
/// <c>nodes/checkpoint</c> create for the agent's service account, 404 when the ContainerCheckpoint feature gate is off
/// (no such route: "404 page not found") or the pod/container does not exist, 500 when the container runtime cannot
/// checkpoint (runc's CRIU dump failed, CRI-O without <c>enable_criu_support</c>, an old containerd, the CRI deadline).
/// </summary>
public static class CheckpointErrors
{
    public static string Describe(HttpStatusCode status, string? body, string node, string ns, string pod, string container)
    {
        var text = Message(body);
        var target = $"{ns}/{pod}/{container} on node {node}";
        return status switch
        {
            HttpStatusCode.Unauthorized =>
                $"checkpoint of {target} refused by the kubelet (401 Unauthorized): it did not authenticate the agent's service account token — the kubelet needs webhook token authentication (authentication.webhook.enabled: true) and the agent its token mounted (EdgePortal:Agent:Kubelet:TokenFile){Said(text)}",
            HttpStatusCode.Forbidden =>
                $"checkpoint of {target} refused by the kubelet (403 Forbidden): the agent's service account lacks create on nodes/checkpoint — apply deploy/base/rbac-agent.yaml (ClusterRole edgeportal-agent-checkpoint bound to the ServiceAccount edgeportal-agent), and the kubelet must authorise by webhook (authorization.mode: Webhook){Said(text)}",
            HttpStatusCode.NotFound when IsMissingRoute(text) =>
                $"checkpoint of {target} failed (404): the kubelet has no checkpoint endpoint — the ContainerCheckpoint feature gate is off on this node (beta and on by default since Kubernetes 1.30; set --feature-gates=ContainerCheckpoint=true on the kubelet){Said(text)}",
            HttpStatusCode.NotFound =>
                $"checkpoint of {target} failed (404): the kubelet found no such pod or container — it was deleted or restarted under another name{Said(text)}",
            HttpStatusCode.InternalServerError when text.Contains("criu failed: type", StringComparison.OrdinalIgnoreCase) =>
                $"checkpoint of {target} failed (500): CRIU ran and the dump itself failed — CRIU is installed; read the dump.log the message names on node {node} (common causes: a resource CRIU cannot dump such as an unsupported socket, a device or io_uring, or a seccomp/AppArmor denial){Said(text)}",
            HttpStatusCode.InternalServerError when text.Contains("checkpoint/restore support not available", StringComparison.OrdinalIgnoreCase) =>
                $"checkpoint of {target} failed (500): CRI-O has checkpoint/restore switched off or finds no CRIU — set enable_criu_support = true in [crio.runtime] of /etc/crio/crio.conf and install CRIU on node {node}{Said(text)}",
            HttpStatusCode.InternalServerError when text.Contains("DeadlineExceeded", StringComparison.Ordinal) || text.Contains("context deadline exceeded", StringComparison.OrdinalIgnoreCase) =>
                $"checkpoint of {target} failed (500): the container runtime did not finish within the CRI deadline (the timeout EdgePortal sends, CheckpointTimeout; without one the kubelet's runtimeRequestTimeout, 2 min by default) — raise CheckpointTimeout for a container with this much memory{Said(text)}",
            HttpStatusCode.InternalServerError or HttpStatusCode.NotImplemented when IsUnsupportedRuntime(text) =>
                $"checkpoint of {target} failed (500): the container runtime cannot checkpoint — install CRIU on the node and enable it (CRI-O: enable_criu_support = true; containerd ≥ 2.0, ≥ 2.1 to restore){Said(text)}",
            HttpStatusCode.InternalServerError =>
                $"checkpoint of {target} failed (500): the container runtime reported an error{Said(text)}",
            HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout =>
                $"checkpoint of {target} timed out ({(int)status}){Said(text)}",
            _ => $"checkpoint of {target} failed ({(int)status} {status}){Said(text)}",
        };
    }

    public static string Describe(HttpOperationException e, string node, string ns, string pod, string container)
    {
        ArgumentNullException.ThrowIfNull(e);
        return Describe(e.Response?.StatusCode ?? HttpStatusCode.InternalServerError, e.Response?.Content, node, ns, pod, container);
    }

    /// <summary>The kubelet answers an unregistered route with Go's plain "404 page not found".</summary>
    private static bool IsMissingRoute(string text) => text.Contains("page not found", StringComparison.OrdinalIgnoreCase);

    private static bool IsUnsupportedRuntime(string text) =>
        text.Contains("criu", StringComparison.OrdinalIgnoreCase)
        || text.Contains("Unimplemented", StringComparison.OrdinalIgnoreCase)
        || text.Contains("not supported", StringComparison.OrdinalIgnoreCase)
        || text.Contains("unknown method", StringComparison.OrdinalIgnoreCase);

    private static string Said(string text) => text.Length == 0 ? "." : $". The cluster said: {text}";

    /// <summary>The message of a Kubernetes Status body, or the body itself, trimmed.</summary>
    public static string Message(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            return "";
        var trimmed = body.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var json = JsonDocument.Parse(trimmed);
                if (json.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    return message.GetString()!.Trim();
            }
            catch (JsonException)
            {
            }
        }
        return trimmed.Length > 400 ? trimmed[..400] + "…" : trimmed;
    }
}
