using System.Buffers;
using System.Text;
using System.Text.Json;
using IceGate.Catalog;
using IceGate.Ingest.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// OTLP/HTTP (port 4318): <c>POST /v1/logs</c>, <c>/v1/traces</c> and <c>/v1/metrics</c>, protobuf or
/// JSON bodies, optionally gzipped. The answer is 200 with an <c>Export*ServiceResponse</c> once the
/// records are durable (carrying <c>partial_success</c> if some were refused one by one), or an
/// error status with a <c>google.rpc.Status</c> body, in the request's encoding.
/// </summary>
public static class OtlpHttpEndpoints
{
    private const string Protobuf = "application/x-protobuf";
    private const string Json = "application/json";

    /// <summary>Maps the endpoints; <paramref name="host"/> restricts them to one listener (e.g. <c>*:4318</c>).</summary>
    public static void MapOtlpHttp(this IEndpointRouteBuilder app, IngestPipeline pipeline, string host)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(pipeline);
        foreach (var (signal, path, _) in OtlpDecoder.Signals)
        {
            app.MapPost(path, (HttpContext context) => HandleAsync(context, pipeline, signal)).RequireHost(host).ExcludeFromDescription();
        }
    }

    private static async Task HandleAsync(HttpContext context, IngestPipeline pipeline, Signal signal)
    {
        var request = context.Request;
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var json = mediaType == Json;
        if (mediaType != Protobuf && !json)
        {
            await RespondAsync(context, new IngestError(415, IngestError.GrpcInvalidArgument, $"Content-Type must be {Protobuf} or {Json}, not '{request.ContentType}'.", null), json: false).ConfigureAwait(false);
            return;
        }

        var tenant = Tenants.Resolve(request.Headers[Tenants.Header].FirstOrDefault(), pipeline.Options.DefaultTenant, out var tenantProblem);
        if (tenant is null)
        {
            await RespondAsync(context, IngestError.BadTenant(tenantProblem!), json).ConfigureAwait(false);
            return;
        }

        byte[]? body = null;
        try
        {
            (body, var length) = await RequestBody.ReadAsync(context, request.Headers.ContentEncoding.FirstOrDefault(), pipeline.Options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
            var ingested = OtlpDecoding.NowMicros();
            var batch = json
                ? OtlpDecoder.Decode(signal, OtlpJson.ToProtobuf(signal, body.AsSpan(0, length)), tenant, ingested)
                : OtlpDecoder.Decode(signal, body.AsSpan(0, length), tenant, ingested);
            ArrayPool<byte>.Shared.Return(body);
            body = null;
            var (rejected, rejection) = (batch.Rejected, batch.RejectionMessage);
            await pipeline.SubmitAsync(signal, batch, length).ConfigureAwait(false);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = json ? Json : Protobuf;
            await context.Response.Body.WriteAsync(json ? ExportResponse.Json(signal, rejected, rejection) : ExportResponse.Protobuf(rejected, rejection), context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (IngestError.From(e) is { } error)
        {
            await RespondAsync(context, error, json).ConfigureAwait(false);
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    /// <summary>An error with a <c>google.rpc.Status</c> body (code, message) in the request's encoding.</summary>
    private static async Task RespondAsync(HttpContext context, IngestError error, bool json)
    {
        var response = context.Response;
        response.StatusCode = error.HttpStatus;
        if (error.RetryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter;
        }

        response.ContentType = json ? Json : Protobuf;
        var payload = json
            ? JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["code"] = error.GrpcStatus, ["message"] = error.Message })
            : GoogleRpcStatus(error.GrpcStatus, error.Message);
        await response.Body.WriteAsync(payload, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary><c>google.rpc.Status</c>: 1 code (varint), 2 message (string).</summary>
    internal static byte[] GoogleRpcStatus(int code, string message) =>
        new ProtoWriter().Varint(1, (ulong)code).Bytes(2, Encoding.UTF8.GetBytes(message)).ToArray();
}
