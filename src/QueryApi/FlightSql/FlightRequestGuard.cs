using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;

namespace IceGate.QueryApi.FlightSql;

/// <summary>
/// Checks the request message of Flight's unary-request methods before the Arrow library reads it.
/// Its generated parsers throw on malformed protobuf (a length past the end, a broken varint),
/// or invalid UTF-8 in a string), and the library's FlightDescriptor throws on a descriptor type
/// other than PATH or CMD, all of which Grpc.AspNetCore can only answer UNKNOWN; a client's broken
/// message is INVALID_ARGUMENT. Every Flight request message holds only scalars, strings and
/// bytes, so the wire format and the string fields (from apache/arrow format/Flight.proto) are
/// all there is to check.
/// </summary>
public static class FlightRequestGuard
{
    private const string Service = "/arrow.flight.protocol.FlightService/";

    /// <summary>The unary-request methods, by whether their message is a FlightDescriptor (type = 1, path = 3 strings) and which of its fields are strings.</summary>
    private static readonly Dictionary<string, (bool Descriptor, ulong[] Strings)> s_unaryRequests = new(StringComparer.Ordinal)
    {
        [Service + "GetFlightInfo"] = (true, [3]),
        [Service + "PollFlightInfo"] = (true, [3]),
        [Service + "GetSchema"] = (true, [3]),
        [Service + "DoGet"] = (false, []),
        [Service + "DoAction"] = (false, [1]), // Action.type
        [Service + "ListActions"] = (false, []),
        [Service + "ListFlights"] = (false, []),
    };

    private static readonly System.Text.UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Checks the request's messages (at most <paramref name="maxBodyBytes"/> in all), then hands it on unread.</summary>
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next, long maxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true || !s_unaryRequests.TryGetValue(context.Request.Path.Value ?? "", out var shape))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var reader = context.Request.BodyReader;
        ReadResult result;
        while (true)
        {
            result = await reader.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (result.IsCompleted || result.Buffer.Length > maxBodyBytes)
            {
                break;
            }

            // Nothing consumed, everything looked at: the next read waits for more.
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }

        var problem = result.Buffer.Length > maxBodyBytes ? null : Problem(result.Buffer.ToArray(), context.Request.Headers["grpc-encoding"].ToString(), maxBodyBytes, shape);
        reader.AdvanceTo(result.Buffer.Start);
        if (problem is not null)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "3";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(problem);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>What is wrong with the frames' messages, or null (framing itself, and encodings other than gzip, are the library's to judge).</summary>
    private static string? Problem(byte[] body, string encoding, long maxBodyBytes, (bool Descriptor, ulong[] Strings) shape)
    {
        for (var position = 0; position + 5 <= body.Length;)
        {
            var compressed = body[position] == 1;
            var length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(position + 1, 4));
            if (length > body.Length - position - 5)
            {
                return $"The message is shorter than its length prefix ({length} bytes).";
            }

            var message = body.AsMemory(position + 5, (int)length);
            position += 5 + (int)length;
            if (compressed && !encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            byte[] plain;
            try
            {
                plain = compressed ? Gunzip(message, maxBodyBytes) : message.ToArray();
            }
            catch (InvalidDataException e)
            {
                return $"The message is not valid gzip: {e.Message}";
            }

            var fields = new List<WireField>();
            if (ProtobufWire.Problem(plain, fields) is { } malformed)
            {
                return $"The request message is not valid protobuf: {malformed}";
            }

            if (MessageProblem(plain, fields, shape) is { } wrong)
            {
                return wrong;
            }
        }

        return null;
    }

    private static string? MessageProblem(byte[] message, List<WireField> fields, (bool Descriptor, ulong[] Strings) shape)
    {
        foreach (var field in fields.Where(f => f.WireType == 2 && shape.Strings.Contains(f.Number)))
        {
            try
            {
                s_strictUtf8.GetCharCount(message.AsSpan(field.Bytes));
            }
            catch (System.Text.DecoderFallbackException)
            {
                return $"Field {field.Number} is a string and must be UTF-8.";
            }
        }

        // The last value of a repeated scalar wins, as parsers read it; absent means UNKNOWN (0).
        var type = fields.LastOrDefault(f => f.Number == 1 && f.WireType == 0).Varint;
        return shape.Descriptor && type is not (1 or 2) ? $"The descriptor's type is {type}; it must be PATH (1) or CMD (2)." : null;
    }

    private static byte[] Gunzip(ReadOnlyMemory<byte> compressed, long maxBytes)
    {
        using var input = new GZipStream(new MemoryStream(compressed.ToArray()), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        for (int read; (read = input.Read(buffer)) > 0;)
        {
            output.Write(buffer, 0, read);
            if (output.Length > maxBytes)
            {
                throw new InvalidDataException($"it inflates past {maxBytes} bytes");
            }
        }

        return output.ToArray();
    }
}
