using System.Diagnostics;
using IceGate.Ingest.Otlp;
using IceGate.Ingest.Wal;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace IceGate.Ingest;

/// <summary>The signals IceGate ingests, each with its own table and WAL.</summary>
public enum Signal
{
    /// <summary>Log records.</summary>
    Logs,

    /// <summary>Spans.</summary>
    Traces,

    /// <summary>Metric data points.</summary>
    Metrics,
}

/// <summary>
/// What every receiver shares: tenant resolution, rate limits, and one WAL per signal. A request is
/// acknowledged when <see cref="SubmitAsync"/> completes, that is, once its records are durable.
/// </summary>
public sealed class IngestPipeline : IAsyncDisposable
{
    private static readonly System.Diagnostics.Metrics.Histogram<double> s_ackLatency =
        Lakehouse.IceGateTelemetry.SecondsHistogram("icegate_ingest_ack", "Time from a decoded request's submission to its acknowledgement (its WAL segment durable), by signal.");

    private readonly Dictionary<Signal, WalWriter> _wals;
    private readonly TenantRateLimiter _limiter;

    /// <summary>Starts a WAL writer per signal.</summary>
    public IngestPipeline(IObjectStore store, IngestOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        Options = options;
        _limiter = new TenantRateLimiter(options.RecordsPerSecondPerTenant, options.BytesPerSecondPerTenant);
        var logger = loggers.CreateLogger("IceGate.Wal");
        _wals = new()
        {
            [Signal.Logs] = new WalWriter(store, TableSchemas.Logs, SegmentLayout.Identity(TableSchemas.Logs), options.Wal, logger),
            [Signal.Traces] = new WalWriter(store, TableSchemas.Spans, SpanBatch.Layout, options.Wal, logger),
            [Signal.Metrics] = new WalWriter(store, TableSchemas.Metrics, MetricBatch.Layout, options.Wal, logger),
        };
    }

    /// <summary>The settings.</summary>
    public IngestOptions Options { get; }

    /// <summary>The WAL of each signal.</summary>
    public IReadOnlyDictionary<Signal, WalWriter> Wals => _wals;

    /// <summary>
    /// Stores a decoded request (which the pipeline now owns) and completes once it is durable.
    /// Throws <see cref="RateLimitedException"/> over the tenant's limits,
    /// <see cref="WalBackpressureException"/> when the WAL is behind, and fails with
    /// <see cref="WalWriteException"/> if it could not be stored.
    /// </summary>
    public Task<WalSegment> SubmitAsync(Signal signal, ISignalBatch batch, long requestBytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_limiter.TryAcquire(batch.Tenant, batch.RecordCount, requestBytes, out var retryAfter))
        {
            batch.Dispose();
            throw new RateLimitedException($"Tenant '{batch.Tenant}' is over its ingestion rate limit.", retryAfter);
        }

        return TracedAsync(signal, batch);
    }

    /// <summary>Appends under an "ingest" activity that lasts until the batch is durable, and records how long that took.</summary>
    private async Task<WalSegment> TracedAsync(Signal signal, ISignalBatch batch)
    {
        var name = signal.ToString().ToLowerInvariant();
        using var activity = Lakehouse.IceGateTelemetry.Source.StartActivity($"ingest {name}", ActivityKind.Internal);
        activity?.SetTag("icegate.tenant", batch.Tenant).SetTag("icegate.records", batch.RecordCount);
        var started = Stopwatch.GetTimestamp();
        var segment = await _wals[signal].AppendAsync(batch).ConfigureAwait(false);
        s_ackLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("signal", name));
        activity?.SetTag("icegate.wal.segment", segment.Key);
        return segment;
    }

    /// <summary>Writes whatever is queued, then stops the WALs.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var wal in _wals.Values)
        {
            await wal.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>A tenant sent more than its limit; retry after <see cref="RetryAfter"/>.</summary>
public sealed class RateLimitedException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>When the request would fit the limit.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
