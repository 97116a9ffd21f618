using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// gzip for gRPC messages, as the library's own provider, except that a corrupt message is the
/// client's mistake: INVALID_ARGUMENT naming the cause, where the library would answer UNKNOWN
/// ("Exception was thrown by handler").
/// </summary>
internal sealed class GzipMessageCompression : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        new GZipStream(stream, compressionLevel ?? CompressionLevel.Fastest, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) => new Decompressing(new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true));

    private sealed class Decompressing(GZipStream gzip) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Guard(() => gzip.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await gzip.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw Corrupt(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                gzip.Dispose();
            }

            base.Dispose(disposing);
        }

        private static int Guard(Func<int> read)
        {
            try
            {
                return read();
            }
            catch (InvalidDataException e)
            {
                throw Corrupt(e);
            }
        }

        private static RpcException Corrupt(InvalidDataException e) => new(new Status(StatusCode.InvalidArgument, $"The gzip message is corrupt: {e.Message}"));
    }
}
