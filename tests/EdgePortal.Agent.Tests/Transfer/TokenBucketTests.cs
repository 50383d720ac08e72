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
    public void ForBits_SixteenMegabit_StartsWithOneChunkAndHoldsOneSecond()
    {
        var time = new FakeTimeProvider();
        var bucket = TokenBucket.ForBits(16_000_000, time);

        Assert.Equal(2_000_000, bucket.RateBytesPerSecond);
        Assert.Equal(2_000_000, bucket.Capacity);
        Assert.Equal(TimeSpan.Zero, bucket.Take(ThrottledStream.Chunk));
        Assert.Equal(TimeSpan.FromMilliseconds(50), bucket.Take(100_000));
    }

    [Fact]
    public void ForBits_TenMegabytesAtOneGigabit_TakesNoLessThanTheRateAllows()
    {
        // A short transfer: 10 MB in ThrottledStream's chunks, the clock moving exactly by each wait (a sender never late).
        var time = new FakeTimeProvider();
        var bucket = TokenBucket.ForBits(1e9, time);
        const int total = 10 * 1024 * 1024;
        var started = time.GetTimestamp();

        for (var sent = 0; sent < total; sent += ThrottledStream.Chunk)
            time.Advance(bucket.Take(ThrottledStream.Chunk));

        var seconds = time.GetElapsedTime(started).TotalSeconds;
        var bitsPerSecond = total * 8 / seconds;
        // Over the limit by at most the one chunk it starts with (0.16 %) and the clock's 100 ns ticks; the former 50 ms of
        // starting credit made this 2.5 Gbit/s.
        Assert.InRange(bitsPerSecond, 0.99e9, 1.003e9);
    }

    [Fact]
    public void ForBits_TimeBeforeTheFirstTake_EarnsNoCredit()
    {
        var time = new FakeTimeProvider();
        var bucket = TokenBucket.ForBits(8_000, time);

        time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.Zero, bucket.Take(ThrottledStream.Chunk));
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.Take(1_000));
    }

    [Fact]
    public void Take_AfterAStall_CatchesUpAtMostOneCapacity()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(1_000, 1_000, time, initialTokens: 0);
        bucket.Take(0);

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.Zero, bucket.Take(1_000));
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.Take(1_000));
    }

    [Fact]
    public void ForBits_StallMidTransfer_AverageRateHolds()
    {
        // 2 s worth at 8 Mbit/s; the sender stalls 300 ms after the first half and then sends as fast as the bucket lets it.
        var time = new FakeTimeProvider();
        var bucket = TokenBucket.ForBits(8_000_000, time);
        const int total = 2_000_000;
        var started = time.GetTimestamp();
        for (var sent = 0; sent < total; sent += ThrottledStream.Chunk)
        {
            if (sent == 61 * ThrottledStream.Chunk)
                time.Advance(TimeSpan.FromMilliseconds(300));
            time.Advance(bucket.Take(ThrottledStream.Chunk));
        }

        var seconds = time.GetElapsedTime(started).TotalSeconds;
        Assert.InRange(seconds, 1.99, 2.02);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Constructor_RateNotPositive_Throws(double rate) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(rate, 10));
}
