using System.Diagnostics;

namespace EdgePortal.Testing;

/// <summary>A folder of deploy/ rendered as `kubectl kustomize` renders it, with the kubectl on this machine.</summary>
public static class Kustomize
{
    /// <summary>The multi-document YAML `kubectl kustomize deploy/&lt;parts&gt;` prints; throws naming kubectl's error.</summary>
    public static string Render(params string[] deployParts)
    {
        var kubectl = new[] { "/usr/bin/kubectl", "/usr/local/bin/kubectl" }.FirstOrDefault(System.IO.File.Exists)
            ?? throw new InvalidOperationException("kubectl is not installed: this test renders deploy/ with `kubectl kustomize` and cannot run without it.");
        var folder = RepositoryRoot.File(["deploy", .. deployParts]);
        using var process = Process.Start(new ProcessStartInfo(kubectl, ["kustomize", folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"kubectl kustomize {folder} failed: {error}");
        return output.Result;
    }
}
