namespace EdgePortal.Deployment.Tests.Hosts;

/// <summary>One option of a <c>podman run</c> command line: <c>--flag value</c>, <c>--flag=value</c>, or a switch (no value).</summary>
internal sealed record PodmanOption(string Flag, string? Value);

/// <summary>A volume as <c>--volume source:target[:options]</c> writes it.</summary>
internal sealed record PodmanVolume(string Source, string Target, IReadOnlyList<string> Options)
{
    public static PodmanVolume Parse(string value)
    {
        var parts = value.Split(':');
        return new PodmanVolume(parts[0], parts[1], parts.Length > 2 ? parts[2].Split(',') : []);
    }

    public bool ReadOnly => Options.Contains("ro");

    public override string ToString() => Options.Count == 0 ? $"{Source}:{Target}" : $"{Source}:{Target}:{string.Join(',', Options)}";
}

/// <summary>A <c>podman run</c> command line taken apart: its options, the image, and the command after it.</summary>
internal sealed record PodmanRun(string Executable, IReadOnlyList<PodmanOption> Options, string Image, IReadOnlyList<string> Command)
{
    /// <summary>The run options this parser knows to take no value; every other option takes one.</summary>
    private static readonly HashSet<string> Switches = ["--rm", "--detach", "-d", "--replace", "--privileged", "--interactive", "-i", "--tty", "-t", "--init", "--read-only"];

    public static PodmanRun Parse(IReadOnlyList<string> words)
    {
        Assert.True(words.Count > 2 && words[1] == "run", $"not a podman run command line: {string.Join(' ', words)}");
        var options = new List<PodmanOption>();
        var i = 2;
        for (; i < words.Count && words[i].StartsWith('-'); i++)
        {
            var word = words[i];
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
                options.Add(new PodmanOption(word[..equals], word[(equals + 1)..]));
            else if (Switches.Contains(word))
                options.Add(new PodmanOption(word, null));
            else
                options.Add(new PodmanOption(word, words[++i]));
        }
        Assert.True(i < words.Count, "podman run names no image");
        return new PodmanRun(words[0], options, words[i], words.Skip(i + 1).ToList());
    }

    public IReadOnlyList<string> Values(string flag) => Options.Where(o => o.Flag == flag).Select(o => o.Value ?? "").ToList();

    public bool Has(string flag) => Options.Any(o => o.Flag == flag);

    public IReadOnlyList<PodmanVolume> Volumes => Values("--volume").Concat(Values("-v")).Select(PodmanVolume.Parse).ToList();

    /// <summary>The <c>--env NAME=value</c> pairs (names without a value take it from podman's own environment).</summary>
    public IReadOnlyDictionary<string, string> Environment
        => Values("--env").Concat(Values("-e")).Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    /// <summary>The capabilities added (<c>--cap-add A,B</c>), without the CAP_ prefix.</summary>
    public IReadOnlySet<string> AddedCapabilities
        => Values("--cap-add").SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(c => c.ToUpperInvariant().Replace("CAP_", "", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The arguments after the executable, options in their order, for running this command line.</summary>
    public IReadOnlyList<string> Arguments()
        => ["run", .. Options.SelectMany(o => o.Value is null ? new[] { o.Flag } : [o.Flag, o.Value]), Image, .. Command];
}
