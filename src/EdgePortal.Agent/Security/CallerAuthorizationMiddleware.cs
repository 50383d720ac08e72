using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Security;

/// <summary>Endpoint metadata: a peer agent (a receive-only certificate) may call this endpoint, and its body may be as large as an upload.</summary>
public sealed class ReceiveEndpoint
{
    public static readonly ReceiveEndpoint Instance = new();
}

/// <summary>
/// After routing: a caller whose certificate names neither the portal nor a configured peer is refused (403) everywhere but
/// /healthz, a peer may call only the <see cref="ReceiveEndpoint"/>s and /healthz (403 otherwise), and a body larger than the endpoint's cap
/// (<see cref="AgentOptions.MaxUploadBytes"/> for receive endpoints, <see cref="AgentOptions.MaxRequestBodyBytes"/> for the
/// rest) is refused before a byte of it is read (413) when its length is declared, and cut at the cap by Kestrel otherwise.
/// The TLS handshake has already refused callers without a certificate of the callers' CA.
/// </summary>
public sealed class CallerAuthorizationMiddleware(RequestDelegate next, AgentTrust trust, IOptions<AgentOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.GetEndpoint();
        var receive = endpoint?.Metadata.GetMetadata<ReceiveEndpoint>() is not null;
        var health = context.Request.Path.Equals(Contracts.AgentRoutes.Health, StringComparison.Ordinal);
        var caller = trust.Classify(context.Connection.ClientCertificate);
        // /healthz answers any certificate the handshake accepted (the container's health check presents the agent's own).
        if (caller == AgentCaller.Nobody && !health)
            return Refuse(context, StatusCodes.Status403Forbidden, "Unknown client",
                "This client certificate names neither the portal (EdgePortal:Agent:Tls:PortalClientNames) nor a configured peer agent (EdgePortal:Agent:Peers).");
        if (caller == AgentCaller.Peer && !receive && !health)
            return Refuse(context, StatusCodes.Status403Forbidden, "Receive-only client",
                "A peer agent's certificate may only stream images to this agent (PUT /criu/images/{id}, PUT /images/{name}).");

        var o = options.Value;
        var cap = receive ? o.MaxUploadBytes : o.MaxRequestBodyBytes;
        if (context.Request.ContentLength is { } length && length > cap)
        {
            // Unread: the connection is closed after the answer rather than drained.
            context.Response.Headers.Connection = "close";
            return Refuse(context, StatusCodes.Status413PayloadTooLarge, "Body too large",
                $"The body of {length} bytes exceeds this endpoint's cap of {cap} bytes ({AgentOptions.Section}:{(receive ? nameof(AgentOptions.MaxUploadBytes) : nameof(AgentOptions.MaxRequestBodyBytes))}).");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = cap;
        return next(context);
    }

    private static Task Refuse(HttpContext context, int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);
}
