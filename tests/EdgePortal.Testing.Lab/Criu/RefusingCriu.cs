namespace EdgePortal.Testing.Lab;

/// <summary>
/// A criu for an agent's <c>EdgePortal:Agent:CriuPath</c> that refuses every restore with a given message (exit 1, the
/// message on stderr, as the real criu fails) and is the real criu for everything else: a restore that fails on the
/// destination, on demand.
/// </summary>
public static class RefusingCriu
{
    /// <summary>Writes the script into <paramref name="folder"/> and returns its path.</summary>
    public static async Task<string> WriteAsync(string folder, string message)
    {
        var criu = Path.Combine(folder, "criu-refusing-restore");
        await File.WriteAllTextAsync(criu, $"#!/bin/sh\n[ \"$1\" = restore ] && {{ echo '{message}' >&2; exit 1; }}\nexec {EdgePortal.Agent.Criu.CriuDriver.DefaultPath} \"$@\"\n");
        await Lab.RunAsync("chmod", ["700", criu]);
        return criu;
    }
}
