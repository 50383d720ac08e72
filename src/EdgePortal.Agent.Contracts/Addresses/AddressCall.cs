using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>POST /net/addresses/{add|remove|announce}: a service address (CIDR) on the host's <see cref="Device"/>.</summary>
public sealed record AddressCall
{
    [JsonPropertyName("address")] public string Address { get; init; } = "";
    /// <summary>The device; null: the agent's service device.</summary>
    [JsonPropertyName("device")] public string? Device { get; init; }
    /// <summary>After adding, send unsolicited ARP (arping -U) so that neighbours' caches point at this host at once.</summary>
    [JsonPropertyName("announce")] public bool Announce { get; init; }
    /// <summary>
    /// Add the address guarded: TCP to it is dropped (the set of nftables table <c>inet edgeportal_guard</c>) until a restore
    /// on the agent succeeds or the address is removed, so that a client's retransmission arriving before the restored socket
    /// exists, or after a restore failed and before the rollback moved the address back, is not reset.
    /// </summary>
    [JsonPropertyName("guard")] public bool Guard { get; init; }
}
