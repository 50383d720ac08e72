using Microsoft.Extensions.Time.Testing;

namespace EdgePortal.Runtime.Simulated.Tests.Runtime;

/// <summary>Max-min fair sharing along paths, on a fake clock: every figure is exact, as the twin computes it event by event.</summary>
public sealed class LinkSharingTests
{
    private const double Gbit = 1e9;

    private static LinkSharing.LinkShare Link(string name, double bits) => new(name, bits);

    private static Task<LinkSharing.Sent> Send(LinkSharing sharing, FakeTimeProvider time, double bits, params LinkSharing.LinkShare[] path)
        => sharing.SendAsync(new object(), path, 10 * Gbit, bits, 0, time, 1, CancellationToken.None);

    /// <summary>Moves the fake clock on until every transfer has ended (waiters re-arm their timers when rates change).</summary>
    private static async Task<LinkSharing.Sent[]> Drive(FakeTimeProvider time, params Task<LinkSharing.Sent>[] transfers)
    {
        var all = Task.WhenAll(transfers);
        for (var i = 0; i < 10_000 && !all.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await Task.Yield();
        }
        return await all.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SendAsync_Alone_TakesItsBitsAtItsCapPlusTheFixedPart()
    {
        var time = new FakeTimeProvider();
        var sharing = new LinkSharing();

        var sent = await Drive(time, sharing.SendAsync(new object(), [Link("l", Gbit)], 0.5 * Gbit, 50e6, 30, time, 1, CancellationToken.None));

        Assert.Equal(130, sent[0].DurationMs, 9);
        Assert.False(sent[0].Slowed);
    }

    [Fact]
    public async Task SendAsync_PathsSharingOneLinkEach_GetMaxMinFairRatesRecomputedWhenOneEnds()
    {
        // a crosses l1 (1 Gbit/s) and l2 (0.4 Gbit/s); b crosses l2; c crosses l1. First a and b get 0.2 each on l2,
        // c the 0.8 a leaves on l1. b (40 Mbit) ends at 200 ms: a gets l2 alone (0.4), c the 0.6 left on l1; a ends at
        // 350 ms, then c has l1 alone and sends its last 150 Mbit in 150 ms.
        var time = new FakeTimeProvider();
        var sharing = new LinkSharing();
        var l1 = Link("l1", Gbit);
        var l2 = Link("l2", 0.4 * Gbit);

        var sent = await Drive(time, Send(sharing, time, 100e6, l1, l2), Send(sharing, time, 40e6, l2), Send(sharing, time, 400e6, l1));

        Assert.Equal(350, sent[0].DurationMs, 6);
        Assert.Equal(200, sent[1].DurationMs, 6);
        Assert.Equal(500, sent[2].DurationMs, 6);
        Assert.All(sent, s => Assert.True(s.Slowed));
        Assert.Equal(2, sent[0].MostSharing);
    }

    [Fact]
    public async Task SendAsync_SecondTransferJoinsMidWay_SlowsTheFirstOnlyWhileBothSend()
    {
        // a alone at 1 Gbit/s for 50 ms (50 Mbit sent), then a and b at 0.5 each; b (25 Mbit) ends 50 ms later,
        // and a sends its last 25 Mbit alone in 25 ms: 125 ms in all, against 100 alone.
        var time = new FakeTimeProvider();
        var sharing = new LinkSharing();
        var link = Link("l", Gbit);

        var first = Send(sharing, time, 100e6, link);
        time.Advance(TimeSpan.FromMilliseconds(50));
        var second = Send(sharing, time, 25e6, link);
        var sent = await Drive(time, first, second);

        Assert.Equal(125, sent[0].DurationMs, 6);
        Assert.Equal(50, sent[1].DurationMs, 6);
        Assert.Equal(0, sharing.Sending(_ => true));
    }

    [Fact]
    public async Task SendAsync_CapBelowTheFairShare_LeavesTheRestToTheOthers()
    {
        // One transfer reserved 0.2 Gbit/s: it keeps to it, and the other gets the 0.8 left rather than half.
        var time = new FakeTimeProvider();
        var sharing = new LinkSharing();
        var link = Link("l", Gbit);

        var capped = sharing.SendAsync(new object(), [link], 0.2 * Gbit, 20e6, 0, time, 1, CancellationToken.None);
        var other = Send(sharing, time, 80e6, link);
        var sent = await Drive(time, capped, other);

        Assert.Equal(100, sent[0].DurationMs, 6);
        Assert.False(sent[0].Slowed);
        Assert.Equal(100, sent[1].DurationMs, 6);
        Assert.True(sent[1].Slowed);
    }
}
