using System.Globalization;
using EdgePortal.Core.Domain;

namespace EdgePortal.Core.Tests.Domain;

public sealed class UnitsTests
{
    private static T InCulture<T>(string culture, Func<T> action)
    {
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(culture);
        try
        {
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    // ---- ByteSize ----------------------------------------------------------------------------

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(999, "999 B")]
    [InlineData(1_000, "1 KB")]
    [InlineData(512_000, "512 KB")]
    [InlineData(1_000_000, "1.0 MB")]
    [InlineData(10_000_000, "10.0 MB")]
    [InlineData(64_250_000, "64.3 MB")]
    [InlineData(1_000_000_000, "1.00 GB")]
    [InlineData(1_500_000_000, "1.50 GB")]
    [InlineData(12_345_000_000, "12.35 GB")]
    public void ByteSizeFormat_DecimalUnits_PrintsOperatorStyle(double bytes, string expected)
        => Assert.Equal(expected, ByteSize.Format(bytes));

    [Fact]
    public void ByteSizeToString_UsesFormat()
        => Assert.Equal("10.0 MB", new ByteSize(10_000_000).ToString());

    [Fact]
    public void ByteSizeFormat_CommaDecimalCulture_StillUsesAPoint()
        => Assert.Equal("1.50 GB", InCulture("de-DE", () => ByteSize.Format(1_500_000_000)));

    [Theory]
    [InlineData(1.5, 1_500_000)]
    [InlineData(0.5, 500_000)]
    [InlineData(0.0000004, 0)]
    [InlineData(0.0000006, 1)]
    public void ByteSizeFromMegabytes_RoundsToWholeBytes(double megabytes, long bytes)
        => Assert.Equal(bytes, ByteSize.FromMegabytes(megabytes).Bytes);

    [Fact]
    public void ByteSizeFromMegabytes_Negative_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => ByteSize.FromMegabytes(-1));

    [Fact]
    public void ByteSizeCompareTo_OrdersByBytes()
    {
        var sizes = new[] { new ByteSize(3), new ByteSize(1), new ByteSize(2) };
        Array.Sort(sizes);
        Assert.Equal([1L, 2L, 3L], sizes.Select(s => s.Bytes));
    }

    [Theory]
    [InlineData(999_999, "1.0 MB")]
    [InlineData(999_999_999, "1.00 GB")]
    [InlineData(999.6, "1 KB")]
    public void ByteSizeFormat_JustBelowAUnit_RoundsIntoTheNextUnit(double bytes, string expected)
        => Assert.Equal(expected, ByteSize.Format(bytes));

    // ---- Bandwidth ---------------------------------------------------------------------------

    [Theory]
    [InlineData(0, "0 bit/s")]
    [InlineData(500, "500 bit/s")]
    [InlineData(64_000, "64 kbit/s")]
    [InlineData(1_500_000, "1.5 Mbit/s")]
    [InlineData(100_000_000, "100 Mbit/s")]
    [InlineData(1_000_000_000, "1 Gbit/s")]
    [InlineData(1_250_000_000, "1.25 Gbit/s")]
    [InlineData(10_000_000_000, "10 Gbit/s")]
    public void BandwidthFormat_DecimalUnits_PrintsOperatorStyle(double bitsPerSecond, string expected)
        => Assert.Equal(expected, Bandwidth.Format(bitsPerSecond));

    [Fact]
    public void BandwidthToString_UsesFormat()
        => Assert.Equal("2.5 Gbit/s", Bandwidth.FromGigabits(2.5).ToString());

    [Fact]
    public void BandwidthFormat_CommaDecimalCulture_StillUsesAPoint()
        => Assert.Equal("1.5 Mbit/s", InCulture("fr-FR", () => Bandwidth.Format(1_500_000)));

    [Fact]
    public void BytesPerMillisecond_OneGigabit_Is125000()
        => Assert.Equal(125_000d, Bandwidth.FromGigabits(1).BytesPerMillisecond);

    [Theory]
    [InlineData(100, 12_500)]
    [InlineData(10_000, 1_250_000)]
    [InlineData(8, 1_000)]
    public void BytesPerMillisecond_Megabits_DividesByEightThousand(double megabits, double bytesPerMs)
        => Assert.Equal(bytesPerMs, Bandwidth.FromMegabits(megabits).BytesPerMillisecond, 9);

    [Fact]
    public void FromBytesPerMillisecond_125000_IsOneGigabit()
        => Assert.Equal(Bandwidth.FromGigabits(1), Bandwidth.FromBytesPerMillisecond(125_000));

    [Fact]
    public void BandwidthOperators_CompareBitsPerSecond()
    {
        var slow = Bandwidth.FromMegabits(100);
        var fast = Bandwidth.FromGigabits(1);
        Assert.True(slow < fast);
        Assert.True(fast > slow);
        Assert.True(slow <= Bandwidth.FromMegabits(100));
        Assert.True(fast >= Bandwidth.FromMegabits(1_000));
        Assert.False(fast < slow);
        Assert.True(slow.CompareTo(fast) < 0);
    }

    [Theory]
    [InlineData(999_999_999, "1 Gbit/s")]
    [InlineData(999_999, "1 Mbit/s")]
    public void BandwidthFormat_JustBelowAUnit_RoundsIntoTheNextUnit(double bitsPerSecond, string expected)
        => Assert.Equal(expected, Bandwidth.Format(bitsPerSecond));

    // ---- Durations ---------------------------------------------------------------------------

    [Theory]
    [InlineData(0, "0 ms")]
    [InlineData(975, "975 ms")]
    [InlineData(1_000, "1.0 s")]
    [InlineData(2_100, "2.1 s")]
    [InlineData(59_000, "59.0 s")]
    [InlineData(60_000, "1 min 00 s")]
    [InlineData(185_000, "3 min 05 s")]
    [InlineData(3_600_000, "60 min 00 s")]
    [InlineData(double.PositiveInfinity, "∞")]
    public void DurationsFormat_Milliseconds_PrintsReadableDuration(double milliseconds, string expected)
        => Assert.Equal(expected, Durations.Format(milliseconds));

    [Fact]
    public void DurationsFormat_CommaDecimalCulture_StillUsesAPoint()
        => Assert.Equal("2.1 s", InCulture("de-DE", () => Durations.Format(2_100)));

    [Theory]
    [InlineData(119_600, "2 min 00 s")]
    [InlineData(59_960, "1 min 00 s")]
    [InlineData(999.7, "1.0 s")]
    public void DurationsFormat_JustBelowAUnit_CarriesIntoTheNextUnit(double milliseconds, string expected)
        => Assert.Equal(expected, Durations.Format(milliseconds));
}
