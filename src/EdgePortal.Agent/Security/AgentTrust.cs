using System.Security.Cryptography.X509Certificates;
using EdgePortal.Agent.Contracts.Tls;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Security;

/// <summary>Who a caller is, by its client certificate.</summary>
public enum AgentCaller
{
    /// <summary>No certificate, or one this agent does not know: refused.</summary>
    Nobody,

    /// <summary>A peer agent: may only stream images here (the receive endpoints) and ask /healthz.</summary>
    Peer,

    /// <summary>The portal: may call everything.</summary>
    Portal,
}

/// <summary>
/// The agent's trust: its server certificate (re-read when the files change), the CA bundles of its callers and peers, and
/// the one decision of who a client certificate belongs to. No system trust store anywhere.
/// </summary>
public sealed class AgentTrust
{
    private readonly AgentOptions _options;

    public AgentTrust(IOptions<AgentOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var tls = _options.Tls;
        if (!tls.IsSet)
            return;
        Identity = new PemCertificate(tls.CertificateFile!, tls.KeyFile!);
        Callers = new PemAuthorities(tls.ClientAuthorityFile!);
        Peers = new PemAuthorities(tls.PeerAuthority);
    }

    /// <summary>False only in Development with <c>Tls:Disabled</c>: plain HTTP, everyone is the portal.</summary>
    public bool Enabled => Identity is not null;

    /// <summary>This agent's certificate: its server identity, and its receive-only client identity towards peers.</summary>
    public PemCertificate? Identity { get; }

    /// <summary>The CA of the callers' client certificates.</summary>
    public PemAuthorities? Callers { get; }

    /// <summary>The CA of the peers' server certificates.</summary>
    public PemAuthorities? Peers { get; }

    /// <summary>The TLS handshake's check of a client certificate: issued by the callers' CA for client authentication.</summary>
    public bool IsTrustedClient(X509Certificate2 certificate, X509Chain? chain) =>
        Callers is not null && AgentTls.IsTrusted(certificate, Callers.Current, AgentTls.ClientAuth, chain);

    /// <summary>Who the (already trusted) client certificate belongs to.</summary>
    public AgentCaller Classify(X509Certificate2? certificate)
    {
        if (!Enabled)
            return AgentCaller.Portal;
        if (certificate is null)
            return AgentCaller.Nobody;
        if (_options.Tls.PortalClientNames.Any(n => AgentTls.HasName(certificate, n)))
            return AgentCaller.Portal;
        return _options.Peers.Any(p => AgentTls.HasName(certificate, p.Value.NameOf(p.Key))) ? AgentCaller.Peer : AgentCaller.Nobody;
    }
}
