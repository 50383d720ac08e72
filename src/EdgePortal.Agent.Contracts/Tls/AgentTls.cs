using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgePortal.Agent.Contracts.Tls;

/// <summary>
/// Mutual TLS between the portal and the agents, and between agents: PEM files in, and a certificate trusted only when it
/// chains to the configured CA (never the system's trust store), carries the expected extended key usage, and names the
/// expected peer. One implementation for the agent's server side, its peer client and the portal's runtimes.
/// </summary>
public static class AgentTls
{
    /// <summary>id-kp-serverAuth.</summary>
    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    /// <summary>id-kp-clientAuth.</summary>
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>Reads a certificate (the leaf first, then any intermediates) and its private key from PEM files.</summary>
    public static X509Certificate2 LoadCertificate(string certificateFile, string keyFile)
    {
        using var pem = X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        // Re-imported so the key is usable by SslStream on every platform (an ephemeral PEM key is not on Windows).
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Every certificate of a PEM bundle; at least one.</summary>
    public static X509Certificate2Collection LoadAuthorities(string file)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(file);
        if (all.Count == 0)
            throw new CryptographicException($"{file} holds no PEM certificate.");
        return all;
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to one of <paramref name="authorities"/> (custom root trust only, no
    /// revocation check: rotation is by short lifetimes and CA replacement), is valid now, and has the extended key usage
    /// <paramref name="usage"/>.
    /// </summary>
    public static bool IsTrusted(X509Certificate2 certificate, X509Certificate2Collection authorities, string usage, X509Chain? presented = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(authorities);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (presented is not null)
            foreach (var element in presented.ChainElements.Skip(1))
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return chain.Build(certificate);
    }

    /// <summary>The names a certificate is known by: its DNS and IP subject alternative names and its subject's common name.</summary>
    public static IReadOnlyList<string> Names(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<string>();
        if (certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault() is { } san)
        {
            names.AddRange(san.EnumerateDnsNames());
            names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
        }
        var common = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!string.IsNullOrEmpty(common))
            names.Add(common);
        return names;
    }

    /// <summary>True when <paramref name="certificate"/> is known by <paramref name="name"/> (case-insensitive, exact: no wildcards).</summary>
    public static bool HasName(X509Certificate2 certificate, string name) =>
        Names(certificate).Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The handler of an HTTP client that presents <paramref name="identity"/> and accepts only a server certificate issued by
    /// <paramref name="authorities"/> for server authentication that is known by <paramref name="serverName"/>. Redirects are
    /// not followed; pooled connections are renewed every five minutes so that a rotated certificate takes effect.
    /// </summary>
    public static SocketsHttpHandler ClientHandler(PemCertificate identity, PemAuthorities authorities, string serverName)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var handler = VerifyingHandler(authorities, serverName);
        handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => identity.Current;
        return handler;
    }

    /// <summary>
    /// The handler of an HTTP client without a certificate of its own that accepts only a server certificate issued by
    /// <paramref name="authorities"/> for server authentication and known by <paramref name="serverName"/> (a kubelet, a
    /// registry with its own CA). Redirects are not followed; pooled connections are renewed every five minutes.
    /// </summary>
    public static SocketsHttpHandler VerifyingHandler(PemAuthorities authorities, string serverName)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                    certificate is X509Certificate2 server && IsTrusted(server, authorities.Current, ServerAuth, chain) && HasName(server, serverName),
            },
        };
    }

    /// <summary>An <see cref="HttpClient"/> over <see cref="ClientHandler"/>, with no timeout of its own (the agent client bounds each call).</summary>
    public static HttpClient Client(PemCertificate identity, PemAuthorities authorities, string serverName) =>
        new(ClientHandler(identity, authorities, serverName)) { Timeout = Timeout.InfiniteTimeSpan, DefaultRequestVersion = HttpVersion.Version11 };
}
