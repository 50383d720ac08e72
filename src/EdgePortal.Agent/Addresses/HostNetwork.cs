using System.Text.RegularExpressions;
using EdgePortal.Agent.Criu;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Addresses;

/// <summary>
/// Commands in the host's network namespace: the agent's own, or <see cref="AgentOptions.NetworkNamespace"/> (a lab host's,
/// entered with <c>nsenter --net</c>).
/// </summary>
public sealed partial class HostNetwork(IOptions<AgentOptions> options)
{
    /// <summary>The nftables table that guards service addresses added ahead of a restore.</summary>
    public const string GuardTable = "edgeportal_guard";

    /// <summary>The set of <see cref="GuardTable"/> that holds the guarded addresses: TCP to any of them is dropped.</summary>
    public const string GuardSet = "addresses";

    /// <summary>The host's network namespace (a path such as /run/netns/X), or null for the agent's own.</summary>
    public string? Namespace => string.IsNullOrEmpty(options.Value.NetworkNamespace) ? null : options.Value.NetworkNamespace;

    /// <summary>The device service addresses go on unless a call names another.</summary>
    public string ServiceDevice => options.Value.ServiceDevice;

    /// <summary>Runs <paramref name="command"/> in the host's network namespace.</summary>
    public Task<CommandResult> RunAsync(string[] command, CancellationToken cancellationToken) =>
        Namespace is { } ns
            ? CommandRunner.RunAsync("nsenter", [$"--net={ns}", "--", .. command], cancellationToken)
            : CommandRunner.RunAsync(command[0], command[1..], cancellationToken);

    /// <summary>
    /// Drops TCP to <paramref name="ip"/> on this host until <see cref="DropGuardAsync"/> (a restore here succeeded) or
    /// <see cref="UnguardAsync"/> (the address leaves). One nft transaction: the table, its set and its one rule exist
    /// afterwards exactly once however often an address was guarded.
    /// </summary>
    /// <exception cref="HostCommandException">nft refused; its own words.</exception>
    public async Task GuardAsync(string ip, CancellationToken cancellationToken)
    {
        var script = string.Join("; ",
            $"add table inet {GuardTable}",
            $"add set inet {GuardTable} {GuardSet} {{ type ipv4_addr ; }}",
            $"add chain inet {GuardTable} input {{ type filter hook input priority -10 ; policy accept ; }}",
            $"flush chain inet {GuardTable} input",
            $"add rule inet {GuardTable} input ip daddr @{GuardSet} meta l4proto tcp drop",
            $"add element inet {GuardTable} {GuardSet} {{ {ip} }}");
        var r = await RunAsync(["nft", script], cancellationToken).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw new HostCommandException("nft failed", $"nft {script}: {r.Output.Trim()}");
    }

    /// <summary>
    /// Stops guarding <paramref name="ip"/>: the address left this host, so TCP to it is no longer ours to hold back. An
    /// address that was not guarded (no table, no element) is done already.
    /// </summary>
    public Task UnguardAsync(string ip, CancellationToken cancellationToken) =>
        RunAsync(["nft", $"delete element inet {GuardTable} {GuardSet} {{ {ip} }}"], cancellationToken);

    /// <summary>
    /// Lets TCP to every guarded address reach the host again: a restore here succeeded, so the restored sockets exist. A
    /// failed restore keeps the guard: the address still points here without a socket behind it, and an unguarded
    /// retransmission would be answered with a reset that ends the client's connection before the rollback moves the
    /// address back (<see cref="UnguardAsync"/>).
    /// </summary>
    public Task DropGuardAsync() => RunAsync(["nft", "delete", "table", "inet", GuardTable], CancellationToken.None);

    /// <summary>The first (primary) IPv4 address of the service device in the host's namespace, without its prefix.</summary>
    public async Task<string?> PrimaryAddressAsync(CancellationToken cancellationToken)
    {
        var shown = await RunAsync(["ip", "-4", "-o", "addr", "show", "dev", ServiceDevice], cancellationToken).ConfigureAwait(false);
        if (shown.ExitCode != 0)
            return null;
        return shown.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.Contains("secondary", StringComparison.Ordinal))
            .Select(l => InetAddress().Match(l))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).FirstOrDefault();
    }

    [GeneratedRegex(@"inet (\d+\.\d+\.\d+\.\d+)/")]
    private static partial Regex InetAddress();
}
