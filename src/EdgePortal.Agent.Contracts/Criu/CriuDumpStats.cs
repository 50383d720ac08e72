using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>CRIU's <c>dump_stats_entry</c> (images/stats.proto); times in microseconds as CRIU measured them.</summary>
public sealed record CriuDumpStats(
    [property: JsonPropertyName("freezingTimeUs")] uint FreezingTimeUs,
    [property: JsonPropertyName("frozenTimeUs")] uint FrozenTimeUs,
    [property: JsonPropertyName("memdumpTimeUs")] uint MemdumpTimeUs,
    [property: JsonPropertyName("memwriteTimeUs")] uint MemwriteTimeUs,
    [property: JsonPropertyName("pagesScanned")] ulong PagesScanned,
    [property: JsonPropertyName("pagesSkippedParent")] ulong PagesSkippedParent,
    [property: JsonPropertyName("pagesWritten")] ulong PagesWritten,
    [property: JsonPropertyName("pagesLazy")] ulong PagesLazy);
