using EdgePortal.Agent.Transfer;

namespace EdgePortal.Agent.Oci;

/// <summary>An OCI image layout tar, produced while it is sent, through the transfer's token bucket.</summary>
internal sealed class LayoutContent(OciCheckpointImage image, string reference, TokenBucket? bucket, TransferProgress progress) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
    {
        await using var throttled = new ThrottledStream(stream, bucket, progress, leaveOpen: true);
        await OciLayoutArchive.WriteAsync(throttled, image, reference, cancellationToken).ConfigureAwait(false);
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
