using System.Formats.Tar;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgePortal.Agent.Podman;

/// <summary>
/// A container checkpoint archive as <c>podman container checkpoint --export</c> writes it (an uncompressed tar): CRIU's images
/// under <c>checkpoint/</c>, the container's OCI spec in <c>spec.dump</c> and libpod's configuration, the spec inside it, in
/// <c>config.dump</c>. <c>podman container restore --import</c> creates the container from those two, so an annotation written into
/// both is one the restored container carries, as if it had been created with it.
/// </summary>
public static class CheckpointArchive
{
    /// <summary>The container's OCI spec in the archive.</summary>
    public const string SpecDump = "spec.dump";

    /// <summary>libpod's configuration of the container (its name, its spec) in the archive.</summary>
    public const string ConfigDump = "config.dump";

    /// <summary>
    /// Sets annotation <paramref name="key"/> to <paramref name="value"/> in the spec of the archive at <paramref name="archive"/>
    /// (<see cref="SpecDump"/>, and the spec in <see cref="ConfigDump"/>), every other entry copied as it is; returns the container's
    /// name as <see cref="ConfigDump"/> records it (null when it does not).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is no uncompressed checkpoint archive, or holds no spec.</exception>
    public static async Task<string?> AnnotateAsync(string archive, string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        await RefuseCompressedAsync(archive, cancellationToken).ConfigureAwait(false);
        var rewritten = archive + ".annotated";
        string? name = null;
        var annotated = false;
        try
        {
            var input = File.OpenRead(archive);
            await using (input.ConfigureAwait(false))
            {
                var reader = new TarReader(input);
                await using (reader.ConfigureAwait(false))
                {
                    var output = File.Create(rewritten);
                    await using (output.ConfigureAwait(false))
                    {
                        var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
                        await using (writer.ConfigureAwait(false))
                        {
                            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                            {
                                var entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                                if (entry.DataStream is null || entryName is not (SpecDump or ConfigDump))
                                {
                                    await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                                    continue;
                                }
                                var document = await JsonNode.ParseAsync(entry.DataStream, cancellationToken: cancellationToken).ConfigureAwait(false) as JsonObject
                                    ?? throw new InvalidDataException($"{entryName} in {archive} is not a JSON object");
                                var spec = entryName == SpecDump ? document : document["spec"] as JsonObject;
                                if (entryName == ConfigDump)
                                    name = document["name"] is JsonValue n && n.TryGetValue<string>(out var text) ? text : null;
                                if (spec is not null)
                                {
                                    if (spec["annotations"] is not JsonObject annotations)
                                        spec["annotations"] = annotations = [];
                                    annotations[key] = value;
                                    annotated |= entryName == SpecDump;
                                }
                                var replaced = new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
                                {
                                    Mode = entry.Mode,
                                    ModificationTime = entry.ModificationTime,
                                    Uid = entry.Uid,
                                    Gid = entry.Gid,
                                    DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document)),
                                };
                                await writer.WriteEntryAsync(replaced, cancellationToken).ConfigureAwait(false);
                            }
                        }
                    }
                }
            }
            if (!annotated)
                throw new InvalidDataException($"{archive} holds no {SpecDump}: not a container checkpoint archive");
            File.Move(rewritten, archive, overwrite: true);
            return name;
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{archive} is not a tar archive: {e.Message}", e);
        }
        finally
        {
            File.Delete(rewritten);
        }
    }

    /// <summary>The annotations of the archive's <see cref="SpecDump"/> (empty when it has none).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> AnnotationsAsync(string archive, CancellationToken cancellationToken)
    {
        var file = File.OpenRead(archive);
        await using (file.ConfigureAwait(false))
        {
            var reader = new TarReader(file);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    var entryName = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                    if (entryName != SpecDump || entry.DataStream is null)
                        continue;
                    var spec = await JsonNode.ParseAsync(entry.DataStream, cancellationToken: cancellationToken).ConfigureAwait(false);
                    return spec?["annotations"] is JsonObject annotations
                        ? annotations.Where(a => a.Value is JsonValue).ToDictionary(a => a.Key, a => a.Value!.GetValue<string>(), StringComparer.Ordinal)
                        : new Dictionary<string, string>();
                }
            }
        }
        return new Dictionary<string, string>();
    }

    /// <summary>gzip and zstd archives (Podman's <c>--compress</c>) are refused: rewriting them is not worth their CPU time.</summary>
    private static async Task RefuseCompressedAsync(string archive, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        var file = File.OpenRead(archive);
        await using (file.ConfigureAwait(false))
            await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (head is [0x1f, 0x8b, ..])
            throw new InvalidDataException($"{archive} is gzip-compressed: a copy restored with its connections closed needs an uncompressed archive (the source dumps it so)");
        if (head is [0x28, 0xb5, 0x2f, 0xfd])
            throw new InvalidDataException($"{archive} is zstd-compressed: a copy restored with its connections closed needs an uncompressed archive (the source dumps it so)");
    }
}
