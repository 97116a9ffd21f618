using System.Globalization;
using IceGate.Ingest.Wal;

namespace IceGate.Ingest.Receivers;

/// <summary>
/// How each ingest failure is answered, in one place for every protocol: the HTTP status, the gRPC
/// status, and whether (and when) the client should retry. OTLP clients retry only 429, 502, 503
/// and 504 over HTTP and UNAVAILABLE (among others) over gRPC, so only the failures that may pass
/// are given those.
/// </summary>
internal readonly record struct IngestError(int HttpStatus, int GrpcStatus, string Message, TimeSpan? RetryAfter)
{
    public const int GrpcInvalidArgument = 3;
    public const int GrpcResourceExhausted = 8;
    public const int GrpcUnavailable = 14;

    public static IngestError? From(Exception exception) => exception switch
    {
        InvalidDataException e => new(400, GrpcInvalidArgument, e.Message, null),
        PayloadTooLargeException e => new(413, GrpcResourceExhausted, e.Message, null),
        RateLimitedException e => new(429, GrpcUnavailable, e.Message, e.RetryAfter),
        WalBackpressureException e => new(503, GrpcUnavailable, e.Message, e.RetryAfter),
        WalWriteException e => new(503, GrpcUnavailable, e.Message, TimeSpan.FromSeconds(1)),
        _ => null,
    };

    public static IngestError BadTenant(string problem) => new(400, GrpcInvalidArgument, problem, null);

    /// <summary>The Retry-After header value: whole seconds, at least 1.</summary>
    public string? RetryAfterSeconds => RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture) : null;
}
