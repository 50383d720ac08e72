using System.Diagnostics;
using System.Globalization;
using EdgePortal.Agent.Contracts;
using EdgePortal.Agent.Criu;

namespace EdgePortal.Testing.Lab;

/// <summary>What a CRIU lab test needs before it starts; it fails with the reason instead of passing silently.</summary>
public static class LabRequirements
{
    public static async Task<CriuCapabilities> EnsureAsync()
    {
        if (Environment.UserName != "root" && !IsRootUid())
            Assert.Fail("SKIPPED (reported as a failure on purpose): the CRIU lab tests need root (network namespaces, criu dump/restore). Run ./test.sh as root, as CI does.");
        if (!File.Exists(CriuDriver.DefaultPath))
            Assert.Fail($"CRIU is not installed at {CriuDriver.DefaultPath}: run tools/criu/install.sh as root (./test.sh does).");
        var capabilities = await new CriuDriver().ProbeAsync(CancellationToken.None);
        Assert.True(capabilities.Usable && capabilities.TcpRepair, $"criu check says this host cannot dump TCP connections:\n{capabilities.Report}");
        return capabilities;
    }

    private static bool IsRootUid() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } uid
        && uid.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";
}
