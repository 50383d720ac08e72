namespace EdgePortal.Agent.Transfer;

/// <summary>Reads or writes through a <see cref="TokenBucket"/> (when there is one) in chunks, and counts the bytes into a <see cref="TransferProgress"/>.</summary>
public sealed class ThrottledStream(Stream inner, TokenBucket? bucket, TransferProgress? progress, bool leaveOpen = false) : Stream
{
    /// <summary>The most one read or write moves through the bucket at a time.</summary>
    public const int Chunk = 16 * 1024;

    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, Chunk)], cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            if (bucket is not null)
                await bucket.TakeAsync(read, cancellationToken).ConfigureAwait(false);
            progress?.Add(read);
        }
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            var part = buffer[..Math.Min(buffer.Length, Chunk)];
            if (bucket is not null)
                await bucket.TakeAsync(part.Length, cancellationToken).ConfigureAwait(false);
            await inner.WriteAsync(part, cancellationToken).ConfigureAwait(false);
            progress?.Add(part.Length);
            buffer = buffer[part.Length..];
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
