using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EdgePortal.EndToEnd.Tests;

/// <summary>A tenant admin writes a cron schedule and sees when it will fire before and after saving it.</summary>
[Collection(PortalCollection.Name)]
public sealed class ScheduleScenarios(PortalFixture portal)
{
    [Fact]
    public async Task CreateSchedule_CronEverySundayAt0330Rome_ShowsNextFireTimes()
    {
        // Schedules are edited by TenantAdmin and up (skyfleet-operator may only read them).
        var page = await portal.SignInAsync("skyfleet-admin");
        try
        {
            await PortalFixture.GotoAsync(page, "/schedules");

            // The next Sundays at 03:30 in Rome, in UTC as the page prints them beside local time.
            var rome = TimeZoneInfo.FindSystemTimeZoneById("Europe/Rome");
            var expected = NextSundays0330(rome, DateTimeOffset.UtcNow).Take(3)
                .Select(t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC").ToList();
            var fireTimes = page.Locator("ol.next-fire-times li");
            // The prerendered editor is disabled; it opens once the live page has set up its draft, so typing is kept.
            await Expect(page.Locator("fieldset.schedule-editor[data-ready='true']")).ToBeVisibleAsync();
            await page.Locator("#schedule-name").FillAsync("e2e sunday night");
            await page.Locator("#schedule-timezone").FillAsync("Europe/Rome");
            await page.Locator("#schedule-cron").FillAsync("0 30 3 ? * SUN");
            for (var i = 0; i < expected.Count; i++)
                await Expect(fireTimes.Nth(i)).ToContainTextAsync(expected[i]);
            await PortalFixture.ScreenshotAsync(page, "schedule-editor");

            await page.Locator("#schedule-save").ClickAsync();
            var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "e2e sunday night" });
            await Expect(row).ToBeVisibleAsync();
            await Expect(row).ToContainTextAsync("0 30 3 ? * SUN");
            await Expect(row).ToContainTextAsync("Active");
            await Expect(row).Not.ToContainTextAsync("—");
        }
        catch
        {
            await PortalFixture.ScreenshotAsync(page, "FAILED-" + nameof(CreateSchedule_CronEverySundayAt0330Rome_ShowsNextFireTimes));
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private static IEnumerable<DateTimeOffset> NextSundays0330(TimeZoneInfo zone, DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone).Date;
        for (var day = local; ; day = day.AddDays(1))
        {
            if (day.DayOfWeek != DayOfWeek.Sunday)
                continue;
            var wall = day.AddHours(3).AddMinutes(30);
            var t = new DateTimeOffset(wall, zone.GetUtcOffset(wall));
            if (t > now)
                yield return t;
        }
    }
}
