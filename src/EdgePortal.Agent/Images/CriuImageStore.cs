using System.Formats.Tar;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgePortal.Agent.Contracts;
using Microsoft.Extensions.Options;

namespace EdgePortal.Agent.Images;

/// <summary>
/// The CRIU images this agent holds: one folder per images id under <c>{ImageDirectory}/criu/{id}</c>, pre-dump rounds in
/// <c>pre-n</c> folders below it (linked to their previous round by CRIU's <c>parent</c> link), what they weigh, what a
/// stream of them carries, and how a stream from a peer replaces or adds to them.
/// </summary>
public sealed partial class CriuImageStore(IOptions<AgentOptions> options)
{
    /// <summary>The folder of images <paramref name="id"/>.</summary>
    public string PathOf(string id) => Path.Combine(options.Value.ImageDirectory, "criu", id);

    /// <summary>Where pre-dump round <paramref name="round"/> of an images id is written, below the images folder.</summary>
    public static string PreDumpDirectory(int round) => $"pre-{round.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The bytes and files of a folder (without the pre-dump rounds when asked); never through a link.</summary>
    public static (long Bytes, int Files) Size(string directory, bool withoutPreDumps = false)
    {
        // Never through a link: CRIU's parent link leads to the previous round, which is counted (or not) as itself.
        var files = new List<FileInfo>();
        void Walk(DirectoryInfo folder, bool recurse)
        {
            foreach (var entry in folder.EnumerateFileSystemInfos())
            {
                if (entry.LinkTarget is not null)
                    continue;
                if (entry is FileInfo file)
                    files.Add(file);
                else if (recurse && entry is DirectoryInfo sub)
                    Walk(sub, true);
            }
        }
        Walk(new DirectoryInfo(directory), !withoutPreDumps);
        return (files.Sum(f => f.Length), files.Count);
    }

    /// <summary>
    /// The entries to stream (path, name in the tar): one pre-dump round's folder (named pre-n/…, so that its parent link
    /// ../pre-{n-1} stays inside the folder the peer extracts to), or all but the pre-dump rounds. Symbolic links (CRIU's
    /// parent) go as links, never followed.
    /// </summary>
    public static List<(string Path, string Name)> TarEntries(string directory, int? preDumpRound, bool withoutPreDumps)
    {
        var entries = new List<(string, string)>();
        void Walk(string path, string name)
        {
            entries.Add((path, name));
            var info = new DirectoryInfo(path);
            if (info.LinkTarget is not null)
                return;
            foreach (var child in info.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
            {
                if (child is DirectoryInfo && child.LinkTarget is null)
                    Walk(child.FullName, $"{name}/{child.Name}");
                else
                    entries.Add((child.FullName, $"{name}/{child.Name}"));
            }
        }
        if (preDumpRound is { } round)
        {
            Walk(Path.Combine(directory, PreDumpDirectory(round)), PreDumpDirectory(round));
            return entries;
        }
        foreach (var child in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var isRound = child is DirectoryInfo && child.LinkTarget is null && PreDumpName().IsMatch(child.Name);
            if (isRound && withoutPreDumps)
                continue;
            if (child is DirectoryInfo && child.LinkTarget is null)
                Walk(child.FullName, child.Name);
            else
                entries.Add((child.FullName, child.Name));
        }
        return entries;
    }

    /// <summary>
    /// Extracts a peer's tar stream of images <paramref name="id"/> beside them, then replaces them with it, or adds it to them
    /// (<paramref name="merge"/>: files and links replace their namesakes, folders such as pre-dump rounds replace theirs whole).
    /// Fails with <see cref="InvalidDataException"/>, <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>,
    /// and deletes the partial extraction.
    /// </summary>
    public async Task<CriuReceived> ReceiveAsync(string id, Stream tar, bool merge, CancellationToken cancellationToken)
    {
        var directory = PathOf(id);
        var partial = directory + ".partial";
        if (Directory.Exists(partial))
            Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        try
        {
            await TarFile.ExtractToDirectoryAsync(tar, partial, overwriteFiles: true, cancellationToken).ConfigureAwait(false);
            if (merge && Directory.Exists(directory))
                MergeInto(partial, directory);
            else
            {
                if (Directory.Exists(directory))
                    Directory.Delete(directory, recursive: true);
                Directory.Move(partial, directory);
            }
        }
        catch
        {
            if (Directory.Exists(partial))
                Directory.Delete(partial, recursive: true);
            throw;
        }
        var (bytes, files) = Size(directory);
        return new CriuReceived(id, bytes, files);
    }

    /// <summary>Files and links (CRIU's parent) replace their namesakes; folders (pre-dump rounds) replace theirs whole.</summary>
    private static void MergeInto(string partial, string directory)
    {
        foreach (var entry in new DirectoryInfo(partial).EnumerateFileSystemInfos())
        {
            var to = Path.Combine(directory, entry.Name);
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                if (Directory.Exists(to) && new DirectoryInfo(to).LinkTarget is null)
                    Directory.Delete(to, recursive: true);
                else if (File.Exists(to) || Directory.Exists(to))
                    File.Delete(to);
                Directory.Move(entry.FullName, to);
            }
            else
            {
                if (Directory.Exists(to) && new DirectoryInfo(to).LinkTarget is null)
                    Directory.Delete(to, recursive: true);
                else if (Directory.Exists(to))
                    File.Delete(to);
                File.Move(entry.FullName, to, overwrite: true);
            }
        }
        Directory.Delete(partial, recursive: true);
    }

    /// <summary>Deletes images <paramref name="id"/>; false when there were none.</summary>
    public bool Delete(string id)
    {
        var directory = PathOf(id);
        if (!Directory.Exists(directory))
            return false;
        Directory.Delete(directory, recursive: true);
        return true;
    }

    [GeneratedRegex(@"^pre-\d+$")]
    private static partial Regex PreDumpName();
}
