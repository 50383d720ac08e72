using System.CommandLine;
using EdgePortal.Client;

namespace EdgePortal.Cli;

/// <summary>
/// The commands of <c>edgeportal</c> and what each does: every call goes through the generated <see cref="EdgePortalClient"/>;
/// results go to standard output (a table, or JSON with <c>--output json</c>), messages and progress to standard error, and
/// the exit code says how it ended (<see cref="ExitCodes"/>).
/// </summary>
public static class EdgePortalCommandLine
{
    /// <summary>Runs one command line and returns its exit code.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="console">Where results, messages and progress go.</param>
    /// <param name="environment">Reads an environment variable (<c>EDGEPORTAL_URL</c>, <c>EDGEPORTAL_KEY</c>).</param>
    /// <param name="cancellationToken">Ctrl+C: stops waiting.</param>
    public static async Task<int> RunAsync(string[] args, CliConsole console, Func<string, string?> environment,
        CancellationToken cancellationToken = default)
    {
        var root = Build(console, environment);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
                await console.Error.WriteLineAsync($"edgeportal: {error.Message}");
            await console.Error.WriteLineAsync("Run 'edgeportal --help' for the commands and their options.");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, cancellationToken);
    }

    private static RootCommand Build(CliConsole console, Func<string, string?> environment)
    {
        var commands = new Commands(console, environment);
        var root = new RootCommand("edgeportal: plan, start, follow, list and cancel EdgePortal migrations from scripts and CI.");
        commands.AddGlobalOptions(root);
        root.Subcommands.Add(commands.Plan());
        root.Subcommands.Add(commands.Migrate());
        root.Subcommands.Add(commands.List());
        root.Subcommands.Add(commands.Cancel());
        root.Subcommands.Add(commands.Schedules());
        root.Subcommands.Add(commands.WhatIf());
        return root;
    }
}
