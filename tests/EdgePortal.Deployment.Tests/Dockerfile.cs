using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgePortal.Deployment.Tests;

/// <summary>One instruction of a Dockerfile, continuation lines joined, in the stage it belongs to.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line);

/// <summary>A build stage: its base image, its name, and its instructions after FROM.</summary>
internal sealed record DockerStage(string BaseImage, string? Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword)
        => Instructions.Where(i => i.Keyword.Equals(keyword, StringComparison.OrdinalIgnoreCase));

    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();

    /// <summary>ENV values set in this stage, later ones winning (both <c>KEY=value ...</c> and legacy <c>KEY value</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instruction in All("ENV"))
        {
            if (!instruction.Arguments.Contains('='))
            {
                var parts = instruction.Arguments.Split(' ', 2, StringSplitOptions.TrimEntries);
                env[parts[0]] = parts.Length > 1 ? parts[1] : "";
                continue;
            }
            foreach (Match m in Regex.Matches(instruction.Arguments, "([A-Za-z_][A-Za-z0-9_.]*)=(\"[^\"]*\"|\\S*)"))
                env[m.Groups[1].Value] = m.Groups[2].Value.Trim('"');
        }
        return env;
    }

    /// <summary>The arguments of an exec-form (JSON array) instruction, or the shell form split on spaces.</summary>
    public static IReadOnlyList<string> Command(DockerInstruction instruction)
        => instruction.Arguments.TrimStart().StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(instruction.Arguments)!
            : instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The stage an image built without <c>--target</c> ends up as.</summary>
    public DockerStage Final => Stages[^1];

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var current = "";
        var startLine = 0;
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
                continue;
            if (current.Length > 0 && line.StartsWith('#'))
                continue; // comments inside a continued instruction are dropped by Docker too
            if (current.Length == 0)
                startLine = i + 1;
            if (line.EndsWith('\\'))
            {
                current += line[..^1].TrimEnd() + " ";
                continue;
            }
            current += line;
            var parts = current.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            instructions.Add(new DockerInstruction(parts[0].ToUpperInvariant(), parts.Length > 1 ? parts[1].Trim() : "", startLine));
            current = "";
        }

        var stages = new List<DockerStage>();
        for (var i = 0; i < instructions.Count; i++)
        {
            if (instructions[i].Keyword != "FROM")
                continue;
            var from = Regex.Match(instructions[i].Arguments, @"^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$", RegexOptions.IgnoreCase);
            var body = instructions.Skip(i + 1).TakeWhile(x => x.Keyword != "FROM").ToList();
            stages.Add(new DockerStage(from.Groups[1].Value, from.Groups[2].Success ? from.Groups[2].Value : null, body));
        }
        return new Dockerfile(stages);
    }
}
