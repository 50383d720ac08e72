namespace EdgePortal.Runtime.Kubernetes.Tests.FakeApiServer;

/// <summary>
/// A crictl stand-in for the agents (no container runtime runs here): a shell script that records each call's arguments
/// and answers <c>crictl pull</c> as crictl does — "Image is up to date for sha256:…" and exit 0, or, for an image marked
/// <see cref="Missing"/>, containerd's NotFound in crictl's fatal log line and exit 1.
/// </summary>
public sealed class FakeCrictl
{
    private readonly string _log;
    private readonly string _missing;

    public FakeCrictl(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        Path = System.IO.Path.Combine(folder, "crictl");
        _log = System.IO.Path.Combine(folder, "crictl.log");
        _missing = System.IO.Path.Combine(folder, "crictl.missing");
        File.WriteAllText(Path, $$"""
            #!/bin/sh
            printf '%s\n' "$*" >> '{{_log}}'
            for a in "$@"; do image="$a"; done
            if [ -f '{{_missing}}' ] && grep -qxF -- "$image" '{{_missing}}'; then
              echo "time=\"2026-12-07T10:00:00Z\" level=fatal msg=\"pulling image: rpc error: code = NotFound desc = failed to pull and unpack image \\\"$image\\\": failed to resolve reference \\\"$image\\\": $image: not found\"" >&2
              exit 1
            fi
            echo "Image is up to date for sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741"
            """.Replace("\r\n", "\n", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    /// <summary>Every call's arguments, one line each, in order.</summary>
    public IReadOnlyList<string> Calls => File.Exists(_log) ? File.ReadAllLines(_log) : [];

    /// <summary>The registry has no <paramref name="image"/>: its pull fails.</summary>
    public void Missing(string image) => File.AppendAllText(_missing, image + "\n");
}
