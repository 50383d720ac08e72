using EdgePortal.Agent.Criu;

namespace EdgePortal.Agent.Tests.Criu;

/// <summary>When the agent reports lazy pages (issue 18): userfaultfd, and page pipes CRIU can grow.</summary>
public sealed class LazyPagesRuleTests
{
    [Fact]
    public void LazyPages_DefaultPipeLimitWithoutCapSysResource_NoWithTheSysctlToFixIt()
    {
        var (lazy, detail) = CriuDriver.LazyPages(usable: true, uffd: true, pipeMaxSize: 1_048_576, capSysResource: false);

        Assert.False(lazy);
        Assert.Equal("userfaultfd, but fs.pipe-max-size is 1048576 and root lacks CAP_SYS_RESOURCE: the first page request would fail; "
            + "sysctl -w fs.pipe-max-size=268435456", detail);
    }

    [Theory]
    [InlineData(268_435_456L, false)]
    [InlineData(1_048_576L, true)]
    public void LazyPages_PipesCanGrow_Yes(long pipeMaxSize, bool capSysResource)
    {
        Assert.True(CriuDriver.LazyPages(usable: true, uffd: true, pipeMaxSize, capSysResource).LazyPages);
    }

    [Fact]
    public void LazyPages_NoUserfaultfd_NoWhateverThePipes()
    {
        var (lazy, detail) = CriuDriver.LazyPages(usable: true, uffd: false, pipeMaxSize: 268_435_456, capSysResource: true);

        Assert.False(lazy);
        Assert.Equal("no userfaultfd (criu check --feature uffd-noncoop fails)", detail);
    }

    [Fact]
    public void LazyPages_CriuUnusable_No()
    {
        Assert.Equal((false, "criu check fails"), CriuDriver.LazyPages(usable: false, uffd: true, pipeMaxSize: 268_435_456, capSysResource: true));
    }
}
