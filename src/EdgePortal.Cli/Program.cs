using EdgePortal.Cli;

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops waiting (exit 130, the migration goes on); a second one ends the process at once.
    if (interrupt.IsCancellationRequested)
        return;
    e.Cancel = true;
    interrupt.Cancel();
};
return await EdgePortalCommandLine.RunAsync(args, CliConsole.FromSystem(), Environment.GetEnvironmentVariable, interrupt.Token);
