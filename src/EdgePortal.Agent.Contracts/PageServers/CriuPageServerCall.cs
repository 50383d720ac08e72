using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>A page server's address and port, as the destination's POST /criu/images/{id}/page-server answered them.</summary>
public sealed record CriuPageServerCall
{
    [JsonPropertyName("address")] public string Address { get; init; } = "";
    [JsonPropertyName("port")] public int Port { get; init; }
}
