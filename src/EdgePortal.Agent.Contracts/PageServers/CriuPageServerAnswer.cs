using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>POST /criu/images/{id}/page-server: a page server started for images <see cref="Id"/>; the source dumps to <see cref="Address"/>:<see cref="Port"/>.</summary>
public sealed record CriuPageServerAnswer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("port")] int Port,
    [property: JsonPropertyName("log")] string Log)
{
    /// <summary>Where a dump sends its pages to this page server.</summary>
    public CriuPageServerCall ToCall() => new() { Address = Address, Port = Port };
}
