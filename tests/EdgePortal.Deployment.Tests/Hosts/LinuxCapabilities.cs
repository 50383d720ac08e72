using System.Globalization;

namespace EdgePortal.Deployment.Tests.Hosts;

/// <summary>Linux capability names by number (linux/capability.h), to read the Cap* masks of /proc/PID/status.</summary>
internal static class LinuxCapabilities
{
    private static readonly string[] Names =
    [
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
    ];

    /// <summary>The names of the bits set in a hexadecimal mask such as <c>000001ffffffffff</c>; unknown bits as CAP_N.</summary>
    public static IReadOnlyList<string> Decode(string hexMask)
    {
        var mask = ulong.Parse(hexMask, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return Enumerable.Range(0, 64).Where(bit => (mask & (1UL << bit)) != 0)
            .Select(bit => bit < Names.Length ? Names[bit] : $"CAP_{bit.ToString(CultureInfo.InvariantCulture)}").ToList();
    }
}
