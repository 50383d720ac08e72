using System.Text.Json.Serialization;
using System.Globalization;

namespace EdgePortal.Core.Domain;

/// <summary>A data size in bytes, printed the way operators read it (10.0 MB, 512 KB, 1.00 GB).</summary>
public readonly record struct ByteSize : IComparable<ByteSize>
{
    [JsonConstructor]
    public ByteSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Bytes = bytes;
    }

    public long Bytes { get; }

    public static ByteSize FromMegabytes(double megabytes) => new((long)Math.Round(megabytes * 1_000_000));

    public int CompareTo(ByteSize other) => Bytes.CompareTo(other.Bytes);

    public override string ToString() => Format(Bytes);

    /// <summary>Decimal units, as network and storage vendors quote them.</summary>
    public static string Format(double bytes)
    {
        // Round to what is shown before choosing the unit, so 999,999 B reads "1.0 MB", not "1000 KB".
        var b = Math.Round(bytes);
        var kb = Math.Round(bytes / 1e3);
        var mb = Math.Round(bytes / 1e6, 1);
        return Math.Round(bytes / 1e9, 2) >= 1 || mb >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.00} GB")
            : mb >= 1 || kb >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.0} MB")
            : b >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0} KB")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B");
    }
}

/// <summary>A link or reservation rate. The model works in bytes per millisecond (1 Gbit/s = 125,000 B/ms).</summary>
public readonly record struct Bandwidth : IComparable<Bandwidth>
{
    [JsonConstructor]
    public Bandwidth(double bitsPerSecond)
    {
        if (!double.IsFinite(bitsPerSecond) || bitsPerSecond < 0)
            throw new ArgumentOutOfRangeException(nameof(bitsPerSecond), bitsPerSecond, "Bandwidth must be a finite, non-negative number of bits per second.");
        BitsPerSecond = bitsPerSecond;
    }

    public double BitsPerSecond { get; }

    [JsonIgnore]
    public double BytesPerMillisecond => BitsPerSecond / 8_000d;

    public static Bandwidth FromMegabits(double megabits) => new(megabits * 1e6);

    public static Bandwidth FromGigabits(double gigabits) => new(gigabits * 1e9);

    public static Bandwidth FromBytesPerMillisecond(double bytesPerMs) => new(bytesPerMs * 8_000d);

    public int CompareTo(Bandwidth other) => BitsPerSecond.CompareTo(other.BitsPerSecond);

    public static bool operator <(Bandwidth left, Bandwidth right) => left.BitsPerSecond < right.BitsPerSecond;
    public static bool operator >(Bandwidth left, Bandwidth right) => left.BitsPerSecond > right.BitsPerSecond;
    public static bool operator <=(Bandwidth left, Bandwidth right) => left.BitsPerSecond <= right.BitsPerSecond;
    public static bool operator >=(Bandwidth left, Bandwidth right) => left.BitsPerSecond >= right.BitsPerSecond;

    public override string ToString() => Format(BitsPerSecond);

    public static string Format(double bitsPerSecond)
    {
        var bit = Math.Round(bitsPerSecond);
        var kbit = Math.Round(bitsPerSecond / 1e3);
        var mbit = Math.Round(bitsPerSecond / 1e6, 1);
        return Math.Round(bitsPerSecond / 1e9, 2) >= 1 || mbit >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{bitsPerSecond / 1e9:0.##} Gbit/s")
            : mbit >= 1 || kbit >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{bitsPerSecond / 1e6:0.#} Mbit/s")
            : bit >= 1000 ? string.Create(CultureInfo.InvariantCulture, $"{bitsPerSecond / 1e3:0} kbit/s")
            : string.Create(CultureInfo.InvariantCulture, $"{bitsPerSecond:0} bit/s");
    }
}

/// <summary>Formats a duration given in milliseconds: 975 ms, 2.1 s, 3 min 05 s.</summary>
public static class Durations
{
    public static string Format(double milliseconds)
    {
        if (double.IsPositiveInfinity(milliseconds))
            return "∞";
        // Round to what is shown first: 999.7 ms is "1.0 s", 59,960 ms is "1 min 00 s".
        if (Math.Round(milliseconds) < 1_000)
            return string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0} ms");
        if (Math.Round(milliseconds / 1_000, 1) < 60)
            return string.Create(CultureInfo.InvariantCulture, $"{milliseconds / 1_000:0.0} s");
        var seconds = (long)Math.Round(milliseconds / 1_000);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 60} min {seconds % 60:00} s");
    }
}
