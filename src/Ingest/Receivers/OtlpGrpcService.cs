using System.Text;
using Grpc.Core;
using IceGate.Catalog;
using IceGate.Ingest.Otlp;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// The OTLP/gRPC <c>Export</c> calls: decode, submit to the WAL, answer once durable. Failures are
/// <see cref="RpcException"/>s with the statuses <see cref="IngestError"/> gives every protocol;
/// retryable ones (UNAVAILABLE) carry a <c>google.rpc.RetryInfo</c> delay, which OTLP exporters honour.
/// </summary>
public sealed class OtlpGrpcService(IngestPipeline pipeline)
{
    internal async Task<GrpcReply> ExportAsync(Signal signal, GrpcPayload request, ServerCallContext context)
    {
        try
        {
            var tenant = Tenants.Resolve(context.RequestHeaders.GetValue("x-scope-orgid"), pipeline.Options.DefaultTenant, out var tenantProblem)
                ?? throw Failure(IngestError.BadTenant(tenantProblem!));
            ISignalBatch batch;
            try
            {
                batch = OtlpDecoder.Decode(signal, request.Span, tenant, OtlpDecoding.NowMicros());
            }
            finally
            {
                request.Dispose();
            }

            var (rejected, rejection) = (batch.Rejected, batch.RejectionMessage);
            await pipeline.SubmitAsync(signal, batch, request.Length).ConfigureAwait(false);
            return new GrpcReply(ExportResponse.Protobuf(rejected, rejection));
        }
        catch (Exception e) when (IngestError.From(e) is { } error)
        {
            throw Failure(error);
        }
    }

    private static RpcException Failure(IngestError error)
    {
        var trailers = new Metadata();
        if (error.RetryAfter is { } delay)
        {
            trailers.Add("grpc-status-details-bin", StatusWithRetryInfo(error, delay));
        }

        return new RpcException(new Status((StatusCode)error.GrpcStatus, error.Message), trailers);
    }

    /// <summary><c>google.rpc.Status</c> with one <c>google.rpc.RetryInfo</c> detail.</summary>
    private static byte[] StatusWithRetryInfo(IngestError error, TimeSpan delay)
    {
        var duration = new ProtoWriter().Varint(1, (ulong)Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds))).ToArray();
        var retryInfo = new ProtoWriter().Bytes(1, duration).ToArray();
        var any = new ProtoWriter().Bytes(1, "type.googleapis.com/google.rpc.RetryInfo"u8).Bytes(2, retryInfo).ToArray();
        return new ProtoWriter().Varint(1, (ulong)error.GrpcStatus).Bytes(2, Encoding.UTF8.GetBytes(error.Message)).Bytes(3, any).ToArray();
    }
}
