using System.Diagnostics;
using System.Globalization;
using EdgePortal.Agent.Criu;
using EdgePortal.Testing;

namespace EdgePortal.Testing.Lab;

/// <summary>
/// The repository's <c>lab.sh</c> brought up for one test under its own prefix and network (so it never touches a lab an
/// operator has up), and torn down on dispose: lab.sh down kills every process left in its namespaces (restored trees,
/// clients) and deletes them, whatever the test did before failing.
/// </summary>
public sealed class Lab : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;

    private Lab(string script, string prefix, string network)
    {
        Script = script;
        Prefix = prefix;
        Network = network;
        // The tests start their own agents and workloads (in-process, on loopback): only the namespaces come from lab.sh.
        _environment = new() { ["LAB_PREFIX"] = prefix, ["LAB_NET"] = network, ["LAB_AGENTS"] = "0" };
    }

    public string Script { get; }
    public string Prefix { get; }

    /// <summary>The first three octets of the lab's /24.</summary>
    public string Network { get; }

    public string Namespace(string host) => $"/run/netns/{Prefix}-{host}";

    public string Address(int host) => $"{Network}.{(10 + host).ToString(CultureInfo.InvariantCulture)}";

    private static int _labs;

    public static async Task<Lab> UpAsync(int hosts, string network)
    {
        // One prefix per lab, not per test process: test classes run in parallel, and one lab's down kills every process
        // in the namespaces of its prefix (lab.sh allows 9 characters: ept, 5 digits of the pid, one of a counter).
        var prefix = $"ept{Environment.ProcessId % 100000}{Interlocked.Increment(ref _labs) % 10}";
        var lab = new Lab(Path.Combine(RepositoryRoot.Path, "lab.sh"), prefix, network);
        try
        {
            await lab.RunScriptAsync("up", hosts.ToString(CultureInfo.InvariantCulture));
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
        return lab;
    }

    /// <summary>Runs <c>ip</c> with the arguments in the given lab namespace (ip -n), failing with ip's own words.</summary>
    public Task<string> IpAsync(string host, params string[] arguments) => RunAsync("ip", ["-n", $"{Prefix}-{host}", .. arguments]);

    public async ValueTask DisposeAsync() => await RunScriptAsync("down");

    private Task RunScriptAsync(params string[] arguments) => RunAsync("bash", [Script, .. arguments], _environment);

    /// <summary>Runs <paramref name="file"/> and returns its standard output, failing with its own words when it fails.</summary>
    public static async Task<string> RunAsync(string file, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
        return await output;
    }
}
