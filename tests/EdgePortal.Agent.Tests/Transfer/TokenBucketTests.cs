using EdgePortal.Agent.Transfer;
using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Agent.Tests.Transfer;

public sealed class TokenBucketTests
{
    [Fact]
    public void Take_WithinCapacity_DoesNotWait()
    {
        var bucket = new TokenBucket(1_000, 500, new FakeTimeProvider());

        Assert.Equal(TimeSpan.Zero, bucket.Take(500));
    }

    [Fact]
    public void Take_BeyondCapacity_WaitsForTheDebtAtTheRate()
    {
        var bucket = new TokenBucket(1_000, 500, new FakeTimeProvider());

        Assert.Equal(TimeSpan.FromSeconds(1.5), bucket.Take(2_000));
    }

    [Fact]
    public void Take_AfterTimePasses_RefillsAtTheRateUpToCapacity()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1_000, 500, time);
        bucket.Take(500);

        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TimeSpan.Zero, bucket.Take(200));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(0.1), bucket.Take(600));
    }

    [Fact]
    public async Task TakeAsync_InDebt_CompletesOnlyWhenTheClockPaysIt()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1_000, 100, time);
        await bucket.TakeAsync(100, CancellationToken.None);

        var waiting = bucket.TakeAsync(1_000, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ForBits_SixteenMegabit_StartsWithFiftyMillisecondsAndHoldsOneSecond()
    {
        var time = new FakeTimeProvider();
        var bucket = TokenBucket.ForBits(16_000_000, time);

        Assert.Equal(2_000_000, bucket.RateBytesPerSecond);
        Assert.Equal(2_000_000, bucket.Capacity);
        Assert.Equal(TimeSpan.Zero, bucket.Take(100_000));
        Assert.Equal(TimeSpan.FromMilliseconds(50), bucket.Take(100_000));
    }

    [Fact]
    public void Take_AfterAStall_CatchesUpAtMostOneCapacity()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1_000, 1_000, time, initialTokens: 0);

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.Zero, bucket.Take(1_000));
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.Take(1_000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Constructor_RateNotPositive_Throws(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(rate, 10));
}
