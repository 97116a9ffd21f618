using System.Diagnostics;

namespace IceGate.Lakehouse;

/// <summary>
/// IceGate's own traces: a request's ingest, a WAL segment's build and PUT, a shift task and
/// commit, a query. Nothing is recorded unless a listener (the OpenTelemetry SDK, when
/// <c>Telemetry:OtlpEndpoint</c> is set) samples the source, so the cost when off is a null check.
/// </summary>
public static class IceGateTracing
{
    /// <summary>The <see cref="ActivitySource"/> name to subscribe to.</summary>
    public const string SourceName = "IceGate";

    /// <summary>The source every component starts its activities from.</summary>
    public static ActivitySource Source { get; } = new(SourceName);
}
