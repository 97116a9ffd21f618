using System.Buffers;
using System.Buffers.Binary;
using Microsoft.AspNetCore.Http;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// Looks at a gRPC request's first message header before Grpc.AspNetCore reads it (without
/// consuming it): a compressed flag other than 0 or 1, or a length over the message limit, is the
/// client's mistake, answered INVALID_ARGUMENT or RESOURCE_EXHAUSTED; the library would throw
/// while reading and answer UNKNOWN.
/// </summary>
public static class GrpcFrameGuard
{
    /// <summary>Checks the header, then hands the request on; <paramref name="maxMessageBytes"/> is the server's message limit.</summary>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next, long maxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            var reader = context.Request.BodyReader;
            var result = await reader.ReadAtLeastAsync(5, context.RequestAborted).ConfigureAwait(false);
            var problem = Problem(result.Buffer, maxMessageBytes);

            // Nothing consumed or examined: the library reads the same bytes.
            reader.AdvanceTo(result.Buffer.Start);
            if (problem is { } refusal)
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = refusal.Status;
                context.Response.Headers["grpc-message"] = Uri.EscapeDataString(refusal.Message);
                return;
            }
        }

        await next(context).ConfigureAwait(false);
    }

    private static (string Status, string Message)? Problem(ReadOnlySequence<byte> buffer, long maxMessageBytes)
    {
        if (buffer.Length < 5)
        {
            return null;
        }

        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        return header[0] > 1 ? ("3", $"The message's compressed flag is {header[0]}; it must be 0 or 1.")
            : length > maxMessageBytes ? ("8", $"The message of {length} bytes is over the limit of {maxMessageBytes} (Ingest:MaxBodyBytes).")
            : null;
    }
}
