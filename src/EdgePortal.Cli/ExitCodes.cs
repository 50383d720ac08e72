namespace EdgePortal.Cli;

/// <summary>What <c>edgeportal</c> exits with, so that a CI job can tell why it stopped (README, "Command line").</summary>
public static class ExitCodes
{
    /// <summary>Done; with <c>--wait</c>, the migration completed (or, for <c>cancel --wait</c>, it stopped).</summary>
    public const int Ok = 0;

    /// <summary>Something the tool did not expect (a bug: the message says what).</summary>
    public const int Unexpected = 1;

    /// <summary>Bad command line: unknown command or option, a value that does not parse, no portal URL or key.</summary>
    public const int Usage = 2;

    /// <summary>The portal answered with a problem: bad input (the field is named), unknown id, conflict, no plan meets the targets, no access.</summary>
    public const int Refused = 3;

    /// <summary>With <c>--wait</c>: the migration ended without completing (rolled back, cancelled or failed).</summary>
    public const int MigrationNotCompleted = 4;

    /// <summary>No answer from the portal: connection refused, name not resolved, TLS failure or a request that timed out.</summary>
    public const int Unreachable = 5;

    /// <summary>With <c>--wait --timeout</c>: the migration was still going when the time was up (it goes on).</summary>
    public const int WaitTimedOut = 6;

    /// <summary>Interrupted (Ctrl+C) while waiting; the migration goes on.</summary>
    public const int Interrupted = 130;
}
