using System.Diagnostics.Metrics;
using System.Text.Json;
using IceGate.Ingest;
using IceGate.Lakehouse;
using IceGate.Lakehouse.Storage;
using IceGate.QueryApi;
using IceGate.Server.Security;
using OpenTelemetry.Metrics;

namespace IceGate.Server;

/// <summary>
/// <c>GET /metrics</c>: the OpenTelemetry Prometheus exporter over the <see cref="IceGateTelemetry.Meter"/>.
/// The components' counters and gauges are observed here when scraped (object store requests and
/// bytes per operation, WAL throughput and backlog per signal, shift and maintenance per table,
/// queries, the query cache, refused authentications); the latency histograms (ingest
/// acknowledgement, segment build, query) are recorded where the work happens. Counter names gain
/// <c>_total</c> and histograms <c>_seconds</c>; every series carries <c>otel_scope_name="IceGate"</c>.
/// </summary>
internal static class MetricsEndpoint
{
    public static void AddMetrics(this OpenTelemetry.OpenTelemetryBuilder telemetry) =>
        telemetry.WithMetrics(metrics => metrics.AddMeter(IceGateTelemetry.Name).AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));

    public static void MapMetrics(this WebApplication app)
    {
        Observe(app.Services.GetRequiredService<StoreComposition>().Metered, app.Services.GetRequiredService<IngestPipeline>(), app.Services.GetRequiredService<TableWorkers>(),
            app.Services.GetRequiredService<QueryMetrics>(), app.Services.GetRequiredService<QueryEngine>().Cache, app.Services.GetRequiredService<AuthFailures>());
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    private static void Observe(MeteredObjectStore store, IngestPipeline pipeline, TableWorkers tables, QueryMetrics queries, ObjectCache cache, AuthFailures auth)
    {
        var meter = IceGateTelemetry.Meter;
        Operations(meter, "icegate_object_store_requests", "Object store requests sent, by operation.", store, u => u.Requests);
        Operations(meter, "icegate_object_store_failures", "Object store requests that failed, by operation.", store, u => u.Failures);
        Operations(meter, "icegate_object_store_precondition_failures", "Conditional writes refused because their condition did not hold.", store, u => u.PreconditionFailures);
        Operations(meter, "icegate_object_store_read_bytes", "Object bytes received from the store.", store, u => u.BytesRead);
        Operations(meter, "icegate_object_store_written_bytes", "Object bytes sent to the store.", store, u => u.BytesWritten);

        KeyValuePair<string, object?> Signal(Ingest.Wal.WalWriter wal) => new("signal", wal.Signal);
        meter.CreateObservableCounter("icegate_wal_segments", () => pipeline.Wals.Values.Select(w => new Measurement<long>(w.SegmentsWritten, Signal(w))), description: "WAL segments written.");
        meter.CreateObservableCounter("icegate_wal_records", () => pipeline.Wals.Values.Select(w => new Measurement<long>(w.RecordsWritten, Signal(w))), description: "Records made durable in the WAL.");
        meter.CreateObservableCounter("icegate_wal_written_bytes", () => pipeline.Wals.Values.Select(w => new Measurement<long>(w.BytesWritten, Signal(w))), description: "WAL segment bytes written.");
        meter.CreateObservableGauge("icegate_wal_pending_bytes", () => pipeline.Wals.Values.Select(w => new Measurement<long>(w.PendingBytes, Signal(w))), description: "Decoded bytes waiting to be written to the WAL.");

        KeyValuePair<string, object?> Table(string table) => new("table", table);
        meter.CreateObservableGauge("icegate_shift_lag_seconds", () => tables.Shift.Select(w => new Measurement<double>(w.Lag.TotalSeconds, Table(w.Table))), description: "Age of the oldest WAL segment not yet in the table.");
        meter.CreateObservableCounter("icegate_shift_commits", () => tables.Shift.Select(w => new Measurement<long>(w.Commits, Table(w.Table))), description: "Shift plans this process committed.");
        meter.CreateObservableCounter("icegate_shift_read_bytes", () => tables.Shift.Select(w => new Measurement<long>(w.SegmentBytesShifted, Table(w.Table))), description: "WAL segment bytes this process shifted into data files.");
        meter.CreateObservableCounter("icegate_shift_conflicts", () => tables.Shift.Select(w => new Measurement<long>(w.CommitConflicts, Table(w.Table))), description: "Shift state or catalog writes this process lost to another writer.");
        meter.CreateObservableCounter("icegate_shift_takeovers", () => tables.Shift.Select(w => new Measurement<long>(w.Takeovers, Table(w.Table))), description: "Shift tasks this process took over after their lease ran out.");
        meter.CreateObservableGauge("icegate_table_data_files", () => tables.Shift.Select(w => new Measurement<long>(w.DataFiles, Table(w.Table))), description: "Data files in the table's current snapshot.");
        meter.CreateObservableGauge("icegate_table_files_per_partition", () => tables.Shift.Select(w => new Measurement<double>(w.FilesPerPartition, Table(w.Table))), description: "Data files per partition (tenant and day) in the current snapshot, on average.");
        meter.CreateObservableCounter("icegate_maintenance_compacted_files", () => tables.Maintenance.Select(m => new Measurement<long>(m.FilesCompacted, Table(m.Table))), description: "Small data files this process replaced by compacted ones.");
        meter.CreateObservableCounter("icegate_maintenance_expired_partitions", () => tables.Maintenance.Select(m => new Measurement<long>(m.PartitionsExpired, Table(m.Table))), description: "Partitions this process dropped for retention.");
        meter.CreateObservableCounter("icegate_maintenance_orphans_deleted", () => tables.Maintenance.Select(m => new Measurement<long>(m.OrphansDeleted, Table(m.Table))), description: "Unreferenced files this process deleted.");

        meter.CreateObservableCounter("icegate_queries", () => Enum.GetValues<QueryOutcome>().Select(o => new Measurement<long>(queries.Ended(o), new KeyValuePair<string, object?>("outcome", QueryMetrics.OutcomeLabel(o)))), description: "Queries by outcome.");
        meter.CreateObservableGauge("icegate_queries_running", () => queries.Running, description: "Queries running now.");
        meter.CreateObservableCounter("icegate_query_cache_hits", () => queries.CacheHits, description: "Objects queries found in the local file cache.");
        meter.CreateObservableCounter("icegate_query_cache_fetches", () => queries.ObjectsFetched, description: "Objects fetched from the store into the local file cache.");
        meter.CreateObservableCounter("icegate_query_cache_fetched_bytes", () => queries.BytesFetched, description: "Bytes fetched from the store into the local file cache.");
        meter.CreateObservableGauge("icegate_query_cache_bytes", () => cache.CachedBytes, description: "Bytes in the local file cache.");
        meter.CreateObservableCounter("icegate_auth_failures", () => Enum.GetValues<AuthFailure>().Select(f => new Measurement<long>(auth[f], new KeyValuePair<string, object?>("reason", JsonNamingPolicy.SnakeCaseLower.ConvertName(f.ToString())))), description: "Requests refused by key authentication, by reason.");
    }

    // Usage is a snapshot: taken at each observation.
    private static void Operations(Meter meter, string name, string description, MeteredObjectStore store, Func<OperationUsage, long> value) =>
        meter.CreateObservableCounter(name, () => store.Usage.Operations.Select(o => new Measurement<long>(value(o.Value), new KeyValuePair<string, object?>("operation", o.Key.ToString().ToLowerInvariant()))), description: description);
}
