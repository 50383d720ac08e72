using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>What POST /net/addresses/{action} did, in words (<see cref="Done"/>), and how long it took.</summary>
public sealed record AddressAnswer(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("done")] string Done,
    [property: JsonPropertyName("wallClockMs")] double WallClockMs);
