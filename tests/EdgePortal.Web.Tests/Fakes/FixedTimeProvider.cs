namespace EdgePortal.Web.Tests.Fakes;

/// <summary>A clock that stands still at a chosen instant, so "today" in a page is the test's today.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
