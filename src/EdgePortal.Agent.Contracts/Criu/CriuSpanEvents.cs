using System.Diagnostics;

namespace EdgePortal.Agent.Contracts;

/// <summary>
/// CRIU's own statistics of a dump, pre-dump or restore, as an event on the current span: the migration step that called the
/// agent (docs/operations.md, "Tracing"). Times stay in CRIU's microseconds; nothing is added when no span listens.
/// </summary>
internal static class CriuSpanEvents
{
    public static void Add(object answer)
    {
        if (Activity.Current is not { } span)
            return;
        switch (answer)
        {
            case CriuDumpAnswer { Stats: { } s } d:
                span.AddEvent(new ActivityEvent(d.PreDumpRound is null ? "criu.dump" : "criu.pre_dump", tags: new ActivityTagsCollection
                {
                    ["criu.freezing_time_us"] = (long)s.FreezingTimeUs,
                    ["criu.frozen_time_us"] = (long)s.FrozenTimeUs,
                    ["criu.memdump_time_us"] = (long)s.MemdumpTimeUs,
                    ["criu.memwrite_time_us"] = (long)s.MemwriteTimeUs,
                    ["criu.pages_scanned"] = (long)s.PagesScanned,
                    ["criu.pages_skipped_parent"] = (long)s.PagesSkippedParent,
                    ["criu.pages_written"] = (long)s.PagesWritten,
                    ["criu.image_bytes"] = d.Bytes,
                    ["criu.wall_clock_ms"] = d.WallClockMs,
                }));
                break;
            case CriuRestoreAnswer { Stats: { } r } a:
                span.AddEvent(new ActivityEvent("criu.restore", tags: new ActivityTagsCollection
                {
                    ["criu.forking_time_us"] = (long)r.ForkingTimeUs,
                    ["criu.restore_time_us"] = (long)r.RestoreTimeUs,
                    ["criu.pages_restored"] = (long)r.PagesRestored,
                    ["criu.pages_compared"] = (long)r.PagesCompared,
                    ["criu.pages_skipped_cow"] = (long)r.PagesSkippedCow,
                    ["criu.wall_clock_ms"] = a.WallClockMs,
                }));
                break;
        }
    }
}
