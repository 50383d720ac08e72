using System.Formats.Tar;
using EdgePortal.Agent.Transfer;

namespace EdgePortal.Agent.Images;

/// <summary>An images folder as a tar (or only the given entries), produced while it is sent, through the transfer's token bucket.</summary>
internal sealed class DirectoryTarContent(string directory, TokenBucket? bucket, TransferProgress progress, List<(string Path, string Name)>? entries = null) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
    {
        await using var throttled = new ThrottledStream(stream, bucket, progress, leaveOpen: true);
        if (entries is null)
        {
            await TarFile.CreateFromDirectoryAsync(directory, throttled, includeBaseDirectory: false, cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var tar = new TarWriter(throttled, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (path, name) in entries)
            await tar.WriteEntryAsync(path, name, cancellationToken).ConfigureAwait(false);
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
