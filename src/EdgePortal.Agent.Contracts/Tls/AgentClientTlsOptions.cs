using System.Collections.Concurrent;

namespace EdgePortal.Agent.Contracts.Tls;

/// <summary>
/// How a client (the portal's runtimes) authenticates to agents and authenticates them: its client certificate and key
/// (PEM, extended key usage clientAuth) and the CA bundle that issues the agents' server certificates.
/// </summary>
public sealed class AgentClientTlsOptions
{
    /// <summary>The client certificate (PEM; the leaf first, then intermediates).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>Its private key (PEM).</summary>
    public string? KeyFile { get; set; }

    /// <summary>The CA bundle (PEM) the agents' server certificates must chain to; the system's trust store is never used.</summary>
    public string? AuthorityFile { get; set; }

    /// <summary>True when all three files are set.</summary>
    public bool IsSet => !string.IsNullOrWhiteSpace(CertificateFile) && !string.IsNullOrWhiteSpace(KeyFile) && !string.IsNullOrWhiteSpace(AuthorityFile);

    /// <summary>The configuration failures of this entry under <paramref name="key"/> (files missing or unreadable).</summary>
    public IEnumerable<string> Failures(string key)
    {
        if (!IsSet)
        {
            yield return $"{key}:CertificateFile, {key}:KeyFile and {key}:AuthorityFile must name the PEM files of the portal's client certificate, its key and the agents' CA (tools/tls/make-certs.sh makes them).";
            yield break;
        }
        foreach (var (name, file) in new[] { ("CertificateFile", CertificateFile!), ("KeyFile", KeyFile!), ("AuthorityFile", AuthorityFile!) })
            if (!File.Exists(file))
                yield return $"{key}:{name} names a file that does not exist: {file}.";
    }
}

/// <summary>
/// One <see cref="HttpClient"/> per agent (keyed by the caller, e.g. cluster and node), each presenting the configured
/// client certificate and trusting only the configured CA and the agent's expected name.
/// </summary>
public sealed class AgentHttpClients : IDisposable
{
    private readonly ConcurrentDictionary<(string Key, string Certificate, string Key2, string Authority, string Name), Lazy<HttpClient>> _clients = new();
    private readonly Lazy<HttpClient> _plain = new(() => new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan });

    /// <summary>The client of plain-HTTP agents (Development only: a production agent serves mutual TLS and nothing else).</summary>
    public HttpClient Plain => _plain.Value;

    public HttpClient For(string key, AgentClientTlsOptions tls, string serverName)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (!tls.IsSet)
            throw new InvalidOperationException($"no client certificate is configured for the agent {key}");
        return _clients.GetOrAdd((key, tls.CertificateFile!, tls.KeyFile!, tls.AuthorityFile!, serverName),
            k => new Lazy<HttpClient>(() => AgentTls.Client(new PemCertificate(k.Certificate, k.Key2), new PemAuthorities(k.Authority), k.Name))).Value;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
            if (client.IsValueCreated)
                client.Value.Dispose();
        _clients.Clear();
        if (_plain.IsValueCreated)
            _plain.Value.Dispose();
    }
}
