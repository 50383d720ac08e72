namespace EdgePortal.Cli;

/// <summary>Where the tool writes: results to <see cref="Out"/>, messages and progress to <see cref="Error"/>.</summary>
/// <param name="Out">Results (a table, or JSON with <c>--output json</c>): what a script reads.</param>
/// <param name="Error">Messages, problems and the progress of <c>--wait</c>.</param>
/// <param name="IsTerminal">Whether a person watches: the progress bar redraws one line; otherwise each change is a plain line.</param>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsTerminal)
{
    /// <summary>The process's own streams; a terminal when standard error is not redirected.</summary>
    public static CliConsole FromSystem() => new(Console.Out, Console.Error, !Console.IsErrorRedirected);
}
