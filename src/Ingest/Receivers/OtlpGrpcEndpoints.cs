using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using IceGate.Catalog;
using IceGate.Ingest.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// OTLP/gRPC (port 4317, HTTP/2 cleartext): the unary <c>Export</c> methods, served without a gRPC
/// library: one length-prefixed message in (optionally gzip-compressed per <c>grpc-encoding</c>),
/// one empty response message out, and the status in trailers. Errors are trailers-only
/// responses; retryable ones (UNAVAILABLE) carry a <c>RetryInfo</c> delay.
/// </summary>
public static class OtlpGrpcEndpoints
{
    private const string GrpcContentType = "application/grpc";
    private const int FrameHeader = 5;

    /// <summary>Maps the methods; <paramref name="host"/> restricts them to the gRPC listener.</summary>
    public static void MapOtlpGrpc(this IEndpointRouteBuilder app, IngestPipeline pipeline, string host)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(pipeline);
        foreach (var (signal, _, path) in OtlpDecoder.Signals)
        {
            app.MapPost(path, (HttpContext context) => HandleAsync(context, pipeline, signal)).RequireHost(host).ExcludeFromDescription();
        }

        // Anything else on the gRPC port is an unknown method: UNIMPLEMENTED, as gRPC servers answer.
        app.MapFallback(context =>
        {
            TrailersOnly(context, new IngestError(200, IngestError.GrpcUnimplemented, $"Unknown method {context.Request.Path}.", null));
            return Task.CompletedTask;
        }).RequireHost(host).ExcludeFromDescription();
    }

    private static async Task HandleAsync(HttpContext context, IngestPipeline pipeline, Signal signal)
    {
        var request = context.Request;
        if (request.ContentType is not { } type || !type.StartsWith(GrpcContentType, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        var tenant = Tenants.Resolve(request.Headers[Tenants.Header].FirstOrDefault(), pipeline.Options.DefaultTenant, out var tenantProblem);
        if (tenant is null)
        {
            TrailersOnly(context, IngestError.BadTenant(tenantProblem!));
            return;
        }

        byte[]? body = null;
        try
        {
            (body, var length) = await RequestBody.ReadAllAsync(request.Body, pipeline.Options.MaxBodyBytes + FrameHeader, context.RequestAborted).ConfigureAwait(false);
            var (message, rented) = await UnframeAsync(body.AsMemory(0, length), request.Headers["grpc-encoding"].FirstOrDefault(), pipeline.Options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
            ISignalBatch batch;
            try
            {
                var ingested = OtlpDecoding.NowMicros();
                batch = OtlpDecoder.Decode(signal, message.Span, tenant, ingested);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }

            ArrayPool<byte>.Shared.Return(body);
            body = null;
            var (rejected, rejection) = (batch.Rejected, batch.RejectionMessage);
            await pipeline.SubmitAsync(signal, batch, length).ConfigureAwait(false);

            var response = context.Response;
            response.ContentType = GrpcContentType;
            response.Headers["grpc-accept-encoding"] = "identity,gzip";
            var reply = ExportResponse.Protobuf(rejected, rejection);
            var frame = new byte[FrameHeader + reply.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)reply.Length);
            reply.CopyTo(frame, FrameHeader);
            await response.Body.WriteAsync(frame, context.RequestAborted).ConfigureAwait(false);
            response.AppendTrailer("grpc-status", "0");
        }
        catch (Exception e) when (IngestError.From(e) is { } error)
        {
            TrailersOnly(context, error);
        }
        catch (GrpcProtocolException e)
        {
            TrailersOnly(context, e.Error);
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    /// <summary>
    /// Checks the request holds exactly one framed message and returns it, decompressed if flagged;
    /// a decompressed message lives in a rented buffer (the second item) the caller returns.
    /// </summary>
    private static async Task<(ReadOnlyMemory<byte> Message, byte[]? Rented)> UnframeAsync(ReadOnlyMemory<byte> body, string? encoding, long limit, CancellationToken cancellationToken)
    {
        if (body.Length < FrameHeader || BinaryPrimitives.ReadUInt32BigEndian(body.Span[1..]) != body.Length - FrameHeader)
        {
            throw new GrpcProtocolException(new IngestError(200, IngestError.GrpcUnimplemented, "A unary call must carry exactly one message.", null));
        }

        var flag = body.Span[0];
        if (flag == 0)
        {
            return (body[FrameHeader..], null);
        }

        // grpc-go answers these two with INTERNAL; they are the client's mistakes, and INVALID_ARGUMENT
        // says so (neither is retried by OTLP exporters).
        if (flag != 1 || encoding is null or "identity")
        {
            throw new GrpcProtocolException(new IngestError(200, IngestError.GrpcInvalidArgument, "The message is flagged compressed but no grpc-encoding was given.", null));
        }

        if (encoding != "gzip")
        {
            throw new GrpcProtocolException(new IngestError(200, IngestError.GrpcUnimplemented, $"Message encoding '{encoding}' is not supported; use identity or gzip.", null));
        }

        await using var gzip = new GZipStream(new MemoryStream(body[FrameHeader..].ToArray()), CompressionMode.Decompress);
        try
        {
            var (buffer, length) = await RequestBody.ReadAllAsync(gzip, limit, cancellationToken).ConfigureAwait(false);
            return (buffer.AsMemory(0, length), buffer);
        }
        catch (InvalidDataException e)
        {
            throw new GrpcProtocolException(new IngestError(200, IngestError.GrpcInvalidArgument, $"The gzip message is corrupt: {e.Message}", null));
        }
    }

    /// <summary>An error as a trailers-only response: HTTP 200 with the gRPC status in the headers and no body.</summary>
    private static void TrailersOnly(HttpContext context, IngestError error)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcContentType;
        response.Headers["grpc-status"] = error.GrpcStatus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(error.Message);
        if (error.RetryAfter is { } delay)
        {
            response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(StatusWithRetryInfo(error, delay)).TrimEnd('=');
        }
    }

    /// <summary><c>google.rpc.Status</c> with one <c>google.rpc.RetryInfo</c> detail, which OTLP clients honour.</summary>
    private static byte[] StatusWithRetryInfo(IngestError error, TimeSpan delay)
    {
        var duration = new ProtoWriter().Varint(1, (ulong)Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds))).ToArray();
        var retryInfo = new ProtoWriter().Bytes(1, duration).ToArray();
        var any = new ProtoWriter().Bytes(1, "type.googleapis.com/google.rpc.RetryInfo"u8).Bytes(2, retryInfo).ToArray();
        return new ProtoWriter().Varint(1, (ulong)error.GrpcStatus).Bytes(2, Encoding.UTF8.GetBytes(error.Message)).Bytes(3, any).ToArray();
    }

    /// <summary>grpc-message: UTF-8, with every byte outside printable ASCII (and '%') as %XX.</summary>
    private static string PercentEncode(string message)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    private sealed class GrpcProtocolException(IngestError error) : Exception(error.Message)
    {
        public IngestError Error { get; } = error;
    }
}
