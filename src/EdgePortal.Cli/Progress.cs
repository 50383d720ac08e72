using System.Globalization;
using EdgePortal.Client;

namespace EdgePortal.Cli;

/// <summary>Shows how far a followed migration has come; called with each new view of it.</summary>
internal interface IProgressView
{
    void Show(MigrationViewModel migration);

    /// <summary>The migration ended (or waiting stopped): leave the terminal on a fresh line.</summary>
    void End();
}

/// <summary>With <c>--output json</c>: standard output carries the final migration only, and standard error stays quiet.</summary>
internal sealed class SilentProgress : IProgressView
{
    public void Show(MigrationViewModel migration)
    {
    }

    public void End()
    {
    }
}

/// <summary>A terminal: one line redrawn in place, <c>[#####-----]  45%  3/7 Transfer  Running</c>.</summary>
internal sealed class BarProgress(TextWriter error) : IProgressView
{
    private const int Width = 30;
    private int _lastLength;

    public void Show(MigrationViewModel migration)
    {
        var done = (int)Math.Round(Math.Clamp(migration.Progress, 0, 1) * Width);
        var line = $"[{new string('#', done)}{new string('-', Width - done)}] {migration.Progress * 100,3:0}%  {Describe.Step(migration)}  {migration.State}";
        error.Write('\r' + line.PadRight(_lastLength));
        _lastLength = line.Length;
        error.Flush();
    }

    public void End()
    {
        if (_lastLength > 0)
            error.WriteLine();
        _lastLength = 0;
    }
}

/// <summary>Not a terminal (a CI log): one plain line per change, nothing redrawn.</summary>
internal sealed class LineProgress(TextWriter error) : IProgressView
{
    private string? _last;

    public void Show(MigrationViewModel migration)
    {
        var line = $"{migration.State} {migration.Progress * 100:0}% {Describe.Step(migration)}";
        if (line == _last)
            return;
        _last = line;
        error.WriteLine($"{DateTimeOffset.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {line}");
    }

    public void End()
    {
    }
}

internal static class Describe
{
    /// <summary>The step running now (or the last one begun), as <c>3/7 Transfer</c>; the queue's reason while queued.</summary>
    public static string Step(MigrationViewModel migration)
    {
        if (migration.State == MigrationState.Queued)
            return migration.WaitingFor is { } waiting ? $"waiting for {waiting}" : "queued";
        var step = migration.Steps.LastOrDefault(s => s.StartedAt is not null);
        return step is null ? "" : $"{step.Index + 1}/{migration.Steps.Count} {step.Label ?? step.Kind.ToString()}";
    }
}
