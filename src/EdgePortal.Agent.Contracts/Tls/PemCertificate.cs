using System.Security.Cryptography.X509Certificates;

namespace EdgePortal.Agent.Contracts.Tls;

/// <summary>
/// A value read from files and read again when any of them changes (a renewed Secret, a rotated key or CA): the next TLS
/// handshake uses the new one without a restart. The files are checked at most once a second.
/// </summary>
public abstract class ReloadingFiles<T>(TimeProvider? time, params string[] files) where T : class
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private T? _current;
    private DateTime[] _stamps = [];
    private long _checked;

    /// <summary>The value as the files hold it now (read at the first call; a file that cannot be read throws).</summary>
    public T Current
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                if (_current is not null && _time.GetElapsedTime(_checked, now) < TimeSpan.FromSeconds(1))
                    return _current;
                _checked = now;
                var stamps = files.Select(File.GetLastWriteTimeUtc).ToArray();
                if (_current is null || !stamps.SequenceEqual(_stamps))
                {
                    _current = Load();
                    _stamps = stamps;
                }
                return _current;
            }
        }
    }

    protected abstract T Load();
}

/// <summary>A certificate (the leaf first, then intermediates) and its private key in PEM files.</summary>
public sealed class PemCertificate(string certificateFile, string keyFile, TimeProvider? time = null)
    : ReloadingFiles<X509Certificate2>(time, certificateFile, keyFile)
{
    public string CertificateFile { get; } = certificateFile;
    public string KeyFile { get; } = keyFile;

    protected override X509Certificate2 Load() => AgentTls.LoadCertificate(CertificateFile, KeyFile);
}

/// <summary>The certificate authorities of a PEM bundle (a CA rotation trusts a bundle of the old and the new CA for a while).</summary>
public sealed class PemAuthorities(string file, TimeProvider? time = null) : ReloadingFiles<X509Certificate2Collection>(time, file)
{
    public string File { get; } = file;

    protected override X509Certificate2Collection Load() => AgentTls.LoadAuthorities(File);
}
