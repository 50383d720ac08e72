using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>POST /criu/images/{id}/send: stream the images to the peer agent <see cref="Peer"/>.</summary>
public sealed record CriuSendCall
{
    /// <summary>
    /// The destination agent, by its name in the sending agent's own configuration (<c>EdgePortal:Agent:Peers:&lt;name&gt;</c>):
    /// never a URL, so a caller cannot make the agent send a checkpoint anywhere else.
    /// </summary>
    [JsonPropertyName("peer")] public string Peer { get; init; } = "";
    /// <summary>The rate limit of the stream; null or 0: the agent's default.</summary>
    [JsonPropertyName("bandwidthBitsPerSecond")] public double? BandwidthBitsPerSecond { get; init; }
    /// <summary>
    /// The peer adds these files to the images it holds under the same id (pages a page server received, or the other
    /// images) instead of replacing them.
    /// </summary>
    [JsonPropertyName("merge")] public bool Merge { get; init; }
    /// <summary>Send only pre-dump round n's directory (pre-n, with its parent link), for the peer to add to its images.</summary>
    [JsonPropertyName("preDumpRound")] public int? PreDumpRound { get; init; }
    /// <summary>Send the images without the pre-dump rounds' directories (the peer holds them already): the last delta only.</summary>
    [JsonPropertyName("withoutPreDumps")] public bool WithoutPreDumps { get; init; }
}
