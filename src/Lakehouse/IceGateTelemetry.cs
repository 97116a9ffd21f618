using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace IceGate.Lakehouse;

/// <summary>
/// IceGate's own telemetry. Traces: a request's ingest, a WAL segment's build and PUT, a shift
/// task and commit, a query; nothing is recorded unless a listener (the OpenTelemetry SDK, when
/// <c>Telemetry:OtlpEndpoint</c> is set) samples the source, so the cost when off is a null check.
/// Metrics: the instruments of every component, exported on <c>/metrics</c> by the OpenTelemetry
/// Prometheus exporter.
/// </summary>
public static class IceGateTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and the <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string Name = "IceGate";

    /// <summary>Latency buckets in seconds, from 5 ms to a minute.</summary>
    public static readonly IReadOnlyList<double> SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>The source every component starts its activities from.</summary>
    public static ActivitySource Source { get; } = new(Name);

    /// <summary>The meter every component creates its instruments on.</summary>
    public static Meter Meter { get; } = new(Name);

    /// <summary>A histogram of durations in seconds with <see cref="SecondsBuckets"/>.</summary>
    public static Histogram<double> SecondsHistogram(string name, string description) =>
        Meter.CreateHistogram(name, unit: "s", description: description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
}
