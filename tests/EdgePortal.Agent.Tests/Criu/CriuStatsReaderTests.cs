using EdgePortal.Agent.Criu;

namespace EdgePortal.Agent.Tests.Criu;

public sealed class CriuStatsReaderTests
{
    // stats-dump written by CRIU 4.2.1 for the 10 MB stateservice in the lab (kernel 6.18).
    private static readonly byte[] RealStatsDump = Convert.FromHexString(
        "4059105506330957" + "23000000" + "0a21" + "086d10ea5e18a926209c1a28ab143000389d14400048005008580860006800" + "7000");

    [Fact]
    public void Parse_RealStatsDump_ReadsCriusTimesAndPages()
    {
        var (dump, restore) = CriuStatsReader.Parse(RealStatsDump);

        Assert.Null(restore);
        Assert.NotNull(dump);
        Assert.Equal(109u, dump.FreezingTimeUs);
        Assert.Equal(12138u, dump.FrozenTimeUs);
        Assert.Equal(4905u, dump.MemdumpTimeUs);
        Assert.Equal(3356u, dump.MemwriteTimeUs);
        Assert.Equal(2603ul, dump.PagesScanned);
        Assert.Equal(2589ul, dump.PagesWritten);
    }

    [Fact]
    public void Parse_NotAStatsImage_Throws()
    {
        Assert.Throws<InvalidDataException>(() => CriuStatsReader.Parse(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }));
    }
}
