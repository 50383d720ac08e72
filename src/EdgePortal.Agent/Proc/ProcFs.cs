using System.Globalization;
using EdgePortal.Agent.Contracts;

namespace EdgePortal.Agent.Proc;

/// <summary>What /proc says about the processes this agent names: a workload's command line, RSS and threads, and the root of a restored tree.</summary>
public static class ProcFs
{
    /// <summary>True when process <paramref name="pid"/> exists on this host.</summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Workload <paramref name="name"/> (process <paramref name="pid"/>) as /proc shows it now; not running when it is gone or a zombie.</summary>
    public static CriuWorkload Describe(string name, int pid, string? restoredFrom)
    {
        var proc = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
        string? commandLine = null;
        long? rss = null;
        int? threads = null;
        try
        {
            commandLine = File.ReadAllText($"{proc}/cmdline").Replace('\0', ' ').Trim();
            foreach (var line in File.ReadLines($"{proc}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    threads = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone (or a zombie): reported as not running.
        }
        return new CriuWorkload(name, pid, commandLine is { Length: > 0 }, commandLine, rss, threads, restoredFrom);
    }

    /// <summary>
    /// The restored root's PID seen from the agent: the holder (unshare) has one child, the namespace's init (the shell that
    /// became <c>sleep infinity</c>), whose child is the restored tree CRIU detached. 0 when that shape is not there.
    /// </summary>
    public static int RestoredRoot(int holderPid)
    {
        var init = FirstChild(holderPid);
        return init == 0 ? 0 : FirstChild(init);
    }

    private static int FirstChild(int pid)
    {
        var path = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task/{pid.ToString(CultureInfo.InvariantCulture)}/children";
        try
        {
            var first = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return first is null ? 0 : int.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
