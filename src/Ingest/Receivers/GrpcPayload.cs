using System.Buffers;
using Grpc.Core;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// A gRPC request message as its raw bytes, copied once out of the library's buffer into a pooled
/// array (the sequence is valid only while the deserializer runs); the handler returns it.
/// </summary>
internal sealed class GrpcPayload : IDisposable
{
    private byte[]? _buffer;

    private GrpcPayload(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public static Marshaller<GrpcPayload> Marshaller { get; } = new(
        static (_, _) => throw new NotSupportedException("Requests are only received."),
        static context =>
        {
            var payload = context.PayloadAsReadOnlySequence();
            var buffer = ArrayPool<byte>.Shared.Rent((int)payload.Length);
            payload.CopyTo(buffer);
            return new GrpcPayload(buffer, (int)payload.Length);
        });

    public int Length { get; }

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(GrpcPayload))).AsSpan(0, Length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A reply message already encoded as protobuf (an OTLP <c>Export…ServiceResponse</c>).</summary>
internal sealed class GrpcReply(byte[] bytes)
{
    public static Marshaller<GrpcReply> Marshaller { get; } = new(
        static (reply, context) => context.Complete(reply._bytes),
        static _ => throw new NotSupportedException("Replies are only sent."));

    private readonly byte[] _bytes = bytes;
}
