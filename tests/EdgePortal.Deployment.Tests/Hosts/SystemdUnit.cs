using System.Text;

namespace EdgePortal.Deployment.Tests.Hosts;

/// <summary>
/// A systemd unit file as systemd reads it (systemd.syntax(7)): sections of <c>Key=value</c> lines, comments, and
/// backslash-continued lines; a key may repeat. Command lines split into words with systemd's quoting rules.
/// </summary>
internal sealed class SystemdUnit
{
    private readonly List<(string Section, string Key, string Value)> _entries;

    private SystemdUnit(List<(string, string, string)> entries) => _entries = entries;

    public static SystemdUnit Parse(string text)
    {
        var entries = new List<(string, string, string)>();
        var section = "";
        var pending = new StringBuilder();
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';')))
                continue;
            if (pending.Length > 0 && (line.StartsWith('#') || line.StartsWith(';')))
                continue; // comment lines inside a continued value are skipped by systemd too
            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }
            pending.Append(line);
            var complete = pending.ToString();
            pending.Clear();
            if (complete.StartsWith('[') && complete.EndsWith(']'))
            {
                section = complete[1..^1];
                continue;
            }
            var equals = complete.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new FormatException($"not a Key=value line in [{section}]: {complete}");
            entries.Add((section, complete[..equals].Trim(), complete[(equals + 1)..].Trim()));
        }
        return new SystemdUnit(entries);
    }

    public IReadOnlyList<string> All(string section, string key)
        => _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value).ToList();

    public string Single(string section, string key) => Assert.Single(All(section, key));

    /// <summary>A command line's words (systemd.service(5), "Command lines"), without the special prefixes (-, @, +, !, :).</summary>
    public static IReadOnlyList<string> Words(string commandLine)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < commandLine.Length; i++)
        {
            var c = commandLine[i];
            if (quote is { } q)
            {
                if (c == q)
                    quote = null;
                else if (c == '\\' && i + 1 < commandLine.Length)
                    word.Append(commandLine[++i]);
                else
                    word.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            if (c is '"' or '\'')
                quote = c;
            else if (c == '\\' && i + 1 < commandLine.Length)
                word.Append(commandLine[++i]);
            else
                word.Append(c);
        }
        if (quote is not null)
            throw new FormatException($"unterminated quote in: {commandLine}");
        if (inWord)
            words.Add(word.ToString());
        if (words.Count > 0)
            words[0] = words[0].TrimStart('-', '@', '+', '!', ':');
        return words;
    }
}
