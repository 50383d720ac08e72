using System.Text.Json.Serialization;

namespace EdgePortal.Agent.Contracts;

/// <summary>CRIU's <c>restore_stats_entry</c>; times in microseconds.</summary>
public sealed record CriuRestoreStats(
    [property: JsonPropertyName("pagesCompared")] ulong PagesCompared,
    [property: JsonPropertyName("pagesSkippedCow")] ulong PagesSkippedCow,
    [property: JsonPropertyName("forkingTimeUs")] uint ForkingTimeUs,
    [property: JsonPropertyName("restoreTimeUs")] uint RestoreTimeUs,
    [property: JsonPropertyName("pagesRestored")] ulong PagesRestored);
