using Microsoft.Extensions.Options;

namespace EdgePortal.Agent;

/// <summary>The agent's configuration (<c>EdgePortal:Agent</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "EdgePortal:Agent";

    /// <summary>The token shared with the portal and the other agents; every call but /healthz must carry it as a bearer token.</summary>
    public string Token { get; set; } = "";

    /// <summary>Where the kubelet writes checkpoint archives (the hostPath the DaemonSet mounts).</summary>
    public string CheckpointDirectory { get; set; } = "/var/lib/kubelet/checkpoints";

    /// <summary>Where images streamed from peer agents are stored.</summary>
    public string ImageDirectory { get; set; } = "/var/lib/edgeportal/images";

    /// <summary>The rate of a transfer whose request sets none, bits per second; 0 is unlimited.</summary>
    public double DefaultBandwidthBitsPerSecond { get; set; }

    /// <summary>The CRIU binary (4.2.x; tools/criu/install.sh builds it there).</summary>
    public string CriuPath { get; set; } = Criu.CriuDriver.DefaultPath;

    /// <summary>
    /// The host's network namespace (a path such as /run/netns/eplab-h1) where CRIU dumps and restores and where the service
    /// addresses are moved; null or empty is the agent's own. The lab runs one agent per emulated host this way.
    /// </summary>
    public string? NetworkNamespace { get; set; }

    /// <summary>The device service addresses are added to and removed from (POST /net/addresses/*) when a request names none.</summary>
    public string ServiceDevice { get; set; } = "eth0";

    /// <summary>
    /// The address a <c>criu page-server</c> on this host listens on, the one peers reach this host at; null or empty takes the
    /// first (primary) IPv4 address of <see cref="ServiceDevice"/> in the host's namespace.
    /// </summary>
    public string? PageServerAddress { get; set; }

    /// <summary>
    /// How long a <c>criu page-server</c> may wait for and receive its dump (default 10 min). One still running then is killed
    /// and its images deleted: the portal that asked for it crashed or gave up, and nobody would stop it otherwise. It must
    /// exceed the longest Cold dump over a page server the planner may plan.
    /// </summary>
    public TimeSpan PageServerTimeout { get; set; } = TimeSpan.FromMinutes(10);
}

public sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Token) || options.Token.Length < 16)
            failures.Add($"{AgentOptions.Section}:Token must be set to the shared token of the portal and the agents, at least 16 characters.");
        if (string.IsNullOrWhiteSpace(options.CheckpointDirectory) || !Path.IsPathRooted(options.CheckpointDirectory))
            failures.Add($"{AgentOptions.Section}:CheckpointDirectory must be an absolute path, got '{options.CheckpointDirectory}'.");
        if (string.IsNullOrWhiteSpace(options.ImageDirectory) || !Path.IsPathRooted(options.ImageDirectory))
            failures.Add($"{AgentOptions.Section}:ImageDirectory must be an absolute path, got '{options.ImageDirectory}'.");
        if (!double.IsFinite(options.DefaultBandwidthBitsPerSecond) || options.DefaultBandwidthBitsPerSecond < 0)
            failures.Add($"{AgentOptions.Section}:DefaultBandwidthBitsPerSecond must be ≥ 0 (0 is unlimited), got {options.DefaultBandwidthBitsPerSecond}.");
        if (string.IsNullOrWhiteSpace(options.CriuPath) || !Path.IsPathRooted(options.CriuPath))
            failures.Add($"{AgentOptions.Section}:CriuPath must be the absolute path of the criu binary, got '{options.CriuPath}'.");
        if (!string.IsNullOrEmpty(options.NetworkNamespace) && !Path.IsPathRooted(options.NetworkNamespace))
            failures.Add($"{AgentOptions.Section}:NetworkNamespace must be the absolute path of a network namespace (e.g. /run/netns/edge1), got '{options.NetworkNamespace}'.");
        if (!string.IsNullOrEmpty(options.PageServerAddress) && !System.Net.IPAddress.TryParse(options.PageServerAddress, out _))
            failures.Add($"{AgentOptions.Section}:PageServerAddress must be an IP address of this host (no prefix), got '{options.PageServerAddress}'.");
        if (options.PageServerTimeout <= TimeSpan.Zero)
            failures.Add($"{AgentOptions.Section}:PageServerTimeout must be positive (e.g. 00:10:00), got {options.PageServerTimeout}.");
        if (string.IsNullOrWhiteSpace(options.ServiceDevice))
            failures.Add($"{AgentOptions.Section}:ServiceDevice must name a network device, e.g. eth0.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
