using System.Security.Cryptography.X509Certificates;

namespace EdgePortal.Agent.Contracts.Tls;

/// <summary>
/// A certificate and its private key in PEM files, read again when either file changes (a renewed Secret, a rotated key):
/// the next TLS handshake presents the new one without a restart. The files are checked at most once a second.
/// </summary>
public sealed class PemCertificate(string certificateFile, string keyFile, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private X509Certificate2? _current;
    private (DateTime, DateTime) _stamp;
    private long _checked;

    public string CertificateFile { get; } = certificateFile;
    public string KeyFile { get; } = keyFile;

    /// <summary>The certificate as the files hold it now (read at the first call; a file that cannot be read throws).</summary>
    public X509Certificate2 Current
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                if (_current is not null && _time.GetElapsedTime(_checked, now) < TimeSpan.FromSeconds(1))
                    return _current;
                _checked = now;
                var stamp = (File.GetLastWriteTimeUtc(CertificateFile), File.GetLastWriteTimeUtc(KeyFile));
                if (_current is null || stamp != _stamp)
                {
                    _current = AgentTls.LoadCertificate(CertificateFile, KeyFile);
                    _stamp = stamp;
                }
                return _current;
            }
        }
    }
}

/// <summary>The certificate authorities of a PEM bundle, read again when the file changes (a CA rotation adds the new CA first).</summary>
public sealed class PemAuthorities(string file, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private X509Certificate2Collection? _current;
    private DateTime _stamp;
    private long _checked;

    public string File { get; } = file;

    public X509Certificate2Collection Current
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                if (_current is not null && _time.GetElapsedTime(_checked, now) < TimeSpan.FromSeconds(1))
                    return _current;
                _checked = now;
                var stamp = System.IO.File.GetLastWriteTimeUtc(File);
                if (_current is null || stamp != _stamp)
                {
                    _current = AgentTls.LoadAuthorities(File);
                    _stamp = stamp;
                }
                return _current;
            }
        }
    }
}
