using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgePortal.Core.Domain;

/// <summary>
/// Where a newest-first page of history ended: the last row's time (UTC ticks) and id. The next page holds the rows
/// strictly older in (time, id) order, so paging neither skips nor repeats a row when rows share a time or new ones
/// arrive meanwhile (keyset pagination: the store seeks to the cursor instead of counting past an offset).
/// </summary>
/// <remarks>
/// Ids break ties in the order of their canonical text (<c>d</c> format), which is the byte order PostgreSQL compares
/// <c>uuid</c> values in, so both stores agree on a page's boundaries.
/// </remarks>
public readonly record struct HistoryCursor(long Ticks, Guid Id) : IComparable<HistoryCursor>
{
    public static HistoryCursor At(DateTimeOffset at, Guid id) => new(at.UtcTicks, id);

    /// <summary>Newest first: a positive answer means this row comes before <paramref name="other"/> in a page.</summary>
    public int CompareTo(HistoryCursor other)
    {
        var byTime = Ticks.CompareTo(other.Ticks);
        return byTime != 0 ? byTime : CompareIds(Id, other.Id);
    }

    /// <summary>Ids in the order of their canonical text (PostgreSQL's <c>uuid</c> order).</summary>
    public static int CompareIds(Guid a, Guid b) => string.CompareOrdinal(a.ToString("d"), b.ToString("d"));

    /// <summary>True when a row at <paramref name="row"/> belongs on a page after this cursor (it is strictly older).</summary>
    public bool Precedes(HistoryCursor row) => row.CompareTo(this) < 0;

    /// <summary>The text form used in URLs: <c>&lt;ticks&gt;-&lt;id without dashes&gt;</c>.</summary>
    public override string ToString() => $"{Ticks.ToString(CultureInfo.InvariantCulture)}-{Id:N}";

    public static bool TryParse([NotNullWhen(true)] string? text, out HistoryCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks || !Guid.TryParseExact(text.AsSpan(dash + 1), "N", out var id))
            return false;
        cursor = new HistoryCursor(ticks, id);
        return true;
    }

    public static bool operator <(HistoryCursor left, HistoryCursor right) => left.CompareTo(right) < 0;
    public static bool operator >(HistoryCursor left, HistoryCursor right) => left.CompareTo(right) > 0;
    public static bool operator <=(HistoryCursor left, HistoryCursor right) => left.CompareTo(right) <= 0;
    public static bool operator >=(HistoryCursor left, HistoryCursor right) => left.CompareTo(right) >= 0;
}
