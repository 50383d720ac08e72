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

    /// <summary>The host's network namespace (a path such as /run/netns/X), or null for the agent's own.</summary>
    public string? Namespace => string.IsNullOrEmpty(options.Value.NetworkNamespace) ? null : options.Value.NetworkNamespace;

    /// <summary>The device service addresses go on unless a call names another.</summary>
    public string ServiceDevice => options.Value.ServiceDevice;

    /// <summary>Runs <paramref name="command"/> in the host's network namespace.</summary>
    public Task<CommandResult> RunAsync(string[] command, CancellationToken cancellationToken) =>
        Namespace is { } ns
            ? CommandRunner.RunAsync("nsenter", [$"--net={ns}", "--", .. command], cancellationToken)
            : CommandRunner.RunAsync(command[0], command[1..], cancellationToken);

    /// <summary>Lets TCP to guarded addresses reach the host again (the restored sockets exist, or never will).</summary>
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
