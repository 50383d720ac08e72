using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgePortal.Agent.Contracts.Tls;

namespace EdgePortal.Testing.Lab;

/// <summary>A certificate and its key as PEM files.</summary>
public sealed record PemFiles(string CertificateFile, string KeyFile)
{
    public X509Certificate2 Load() => AgentTls.LoadCertificate(CertificateFile, KeyFile);
}

/// <summary>
/// A certificate authority made at test time (ECDSA P-256, System.Security.Cryptography's CertificateRequest), writing PEM files
/// as tools/tls/make-certs.sh does for a deployment: the CA, agents' certificates (serverAuth and clientAuth, named by DNS SAN
/// and CN, with 127.0.0.1 as an IP SAN) and the portal's client certificate.
/// </summary>
public sealed class TestPki : IDisposable
{
    /// <summary>The portal's client certificate name, as the agents' Tls:PortalClientNames list it.</summary>
    public const string PortalName = "edgeportal-portal";

    private static readonly Lazy<TestPki> SharedPki = new(() =>
    {
        var pki = new TestPki("edgeportal-test-ca");
        // The run's CA and keys leave no folder behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => pki.Dispose();
        return pki;
    });

    private readonly X509Certificate2 _ca;
    private readonly ECDsa _caKey;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PemFiles> _issued = new(StringComparer.Ordinal);

    public TestPki(string caName)
    {
        Folder = Directory.CreateTempSubdirectory("edgeportal-pki-").FullName;
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={caName}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        AuthorityFile = Path.Combine(Folder, "ca.pem");
        File.WriteAllText(AuthorityFile, _ca.ExportCertificatePem());
    }

    /// <summary>One CA for the whole test run: the agents and the portal of every test trust it.</summary>
    public static TestPki Shared => SharedPki.Value;

    public string Folder { get; }

    /// <summary>The CA's certificate (PEM).</summary>
    public string AuthorityFile { get; }

    /// <summary>The portal's client certificate.</summary>
    public PemFiles Portal => Issue(PortalName, server: false);

    /// <summary>The client TLS options of a portal of this CA.</summary>
    public AgentClientTlsOptions PortalTls => new() { CertificateFile = Portal.CertificateFile, KeyFile = Portal.KeyFile, AuthorityFile = AuthorityFile };

    /// <summary>A certificate named <paramref name="name"/> (CN and DNS SAN), for clientAuth, and for serverAuth when <paramref name="server"/>; issued once per name.</summary>
    public PemFiles Issue(string name, bool server = true)
    {
        lock (_lock)
        {
            var key = $"{name}|{server}";
            if (_issued.TryGetValue(key, out var files))
                return files;
            using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}", leafKey, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            var usages = new OidCollection { new Oid(AgentTls.ClientAuth) };
            if (server)
                usages.Add(new Oid(AgentTls.ServerAuth));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(name);
            if (server)
                san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7F;
            using var leaf = request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
            var stem = Path.Combine(Folder, $"{name}{(server ? "" : "-client")}");
            files = new PemFiles(stem + ".crt", stem + ".key");
            File.WriteAllText(files.CertificateFile, leaf.ExportCertificatePem());
            File.WriteAllText(files.KeyFile, leafKey.ExportPkcs8PrivateKeyPem());
            _issued[key] = files;
            return files;
        }
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
