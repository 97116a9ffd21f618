namespace IceGate.Ingest.Otlp;

/// <summary>The OTLP protobuf decoder of each signal.</summary>
public static class OtlpDecoder
{
    /// <summary>The signals with a decoder, by OTLP/HTTP path and gRPC method.</summary>
    public static IReadOnlyList<(Signal Signal, string HttpPath, string GrpcPath)> Signals { get; } =
    [
        (Signal.Logs, "/v1/logs", "/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
        (Signal.Traces, "/v1/traces", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
        (Signal.Metrics, "/v1/metrics", "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"),
    ];

    /// <summary>Decodes an <c>Export*ServiceRequest</c> of <paramref name="signal"/>.</summary>
    public static ISignalBatch Decode(Signal signal, ReadOnlySpan<byte> request, string tenant, long ingestedMicros) => signal switch
    {
        Signal.Logs => OtlpLogsDecoder.Decode(request, tenant, ingestedMicros),
        Signal.Traces => OtlpTracesDecoder.Decode(request, tenant, ingestedMicros),
        Signal.Metrics => OtlpMetricsDecoder.Decode(request, tenant, ingestedMicros),
        _ => throw new ArgumentOutOfRangeException(nameof(signal)),
    };
}
