using System.Net;
using System.Text.Json;
using k8s.Autorest;

namespace EdgePortal.Runtime.Kubernetes;

/// <summary>
/// Words for an operator from what the API server or the kubelet answered to
/// <c>POST /api/v1/nodes/{node}/proxy/checkpoint/{ns}/{pod}/{container}</c>. The API server answers 401/403 itself
/// (EdgePortal's credentials, its <c>nodes/proxy</c> permission); the kubelet answers behind the proxy, as
/// <c>kube-apiserver-kubelet-client</c> (or whatever user the API server's kubelet client certificate names):
/// 403 when that user lacks <c>nodes/checkpoint</c>, 404 when the ContainerCheckpoint feature gate is off
/// (no such route: "404 page not found") or the pod/container does not exist, 500 when the container runtime
/// cannot checkpoint (no CRIU, CRI-O without <c>enable_criu_support</c>, an old containerd).
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
                $"checkpoint of {target} refused (401 Unauthorized): the API server did not accept EdgePortal's credentials — check the kubeconfig user or the service account token{Said(text)}",
            HttpStatusCode.Forbidden when text.Contains("checkpoint", StringComparison.OrdinalIgnoreCase) && !text.Contains("nodes/proxy", StringComparison.OrdinalIgnoreCase)
                && !text.Contains("\"proxy\"", StringComparison.Ordinal) =>
                $"checkpoint of {target} refused by the kubelet (403 Forbidden): the API server's kubelet client user lacks create on nodes/checkpoint — bind the ClusterRole edgeportal-kubelet-checkpoint (deploy/base/rbac-kubelet-checkpoint.yaml) to that user{Said(text)}",
            HttpStatusCode.Forbidden =>
                $"checkpoint of {target} refused (403 Forbidden): EdgePortal's service account lacks create on nodes/proxy — apply deploy/base/rbac.yaml{Said(text)}",
            HttpStatusCode.NotFound when IsMissingRoute(text) =>
                $"checkpoint of {target} failed (404): the kubelet has no checkpoint endpoint — the ContainerCheckpoint feature gate is off on this node (beta and on by default since Kubernetes 1.30; set --feature-gates=ContainerCheckpoint=true on the kubelet){Said(text)}",
            HttpStatusCode.NotFound when text.Contains("node", StringComparison.OrdinalIgnoreCase) && text.Contains("not found", StringComparison.OrdinalIgnoreCase)
                && !text.Contains("container", StringComparison.OrdinalIgnoreCase) =>
                $"checkpoint of {target} failed (404): the API server knows no node {node}{Said(text)}",
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
