using System.Globalization;
using System.Text;
using System.Text.Json;
using IceGate.Ingest;
using IceGate.Ingest.Shift;
using IceGate.Lakehouse.Storage;
using IceGate.QueryApi;
using IceGate.Server.Security;

namespace IceGate.Server;

/// <summary>
/// <c>GET /metrics</c> in Prometheus' text format: object store requests, failures and bytes per
/// operation (what S3 bills), and per-signal WAL throughput and backlog.
/// </summary>
internal static class MetricsEndpoint
{
    public static void MapMetrics(this WebApplication app) =>
        app.MapGet("/metrics", (StoreComposition store, IngestPipeline pipeline, TableWorkers tables, QueryMetrics queries, QueryEngine engine, AuthFailures auth) => Results.Text(Render(store.Metered.Usage, pipeline, tables, queries, engine.Cache, auth), "text/plain; version=0.0.4", Encoding.UTF8))
            .WithName("metrics")
            .WithSummary("Prometheus metrics: object store requests and bytes, WAL throughput and backlog, shift lag and commits, queries and the query cache.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");

    internal static string Render(ObjectStoreUsage usage, IngestPipeline pipeline, TableWorkers tables, QueryMetrics queries, ObjectCache cache, AuthFailures auth)
    {
        var text = new StringBuilder();
        Counter(text, "icegate_object_store_requests_total", "Object store requests sent, by operation.", usage, u => u.Requests);
        Counter(text, "icegate_object_store_failures_total", "Object store requests that failed, by operation.", usage, u => u.Failures);
        Counter(text, "icegate_object_store_precondition_failures_total", "Conditional writes refused because their condition did not hold.", usage, u => u.PreconditionFailures);
        Counter(text, "icegate_object_store_read_bytes_total", "Object bytes received from the store.", usage, u => u.BytesRead);
        Counter(text, "icegate_object_store_written_bytes_total", "Object bytes sent to the store.", usage, u => u.BytesWritten);
        Signals(text, "icegate_wal_segments_total", "counter", "WAL segments written.", pipeline, w => w.SegmentsWritten);
        Signals(text, "icegate_wal_records_total", "counter", "Records made durable in the WAL.", pipeline, w => w.RecordsWritten);
        Signals(text, "icegate_wal_written_bytes_total", "counter", "WAL segment bytes written.", pipeline, w => w.BytesWritten);
        Signals(text, "icegate_wal_pending_bytes", "gauge", "Decoded bytes waiting to be written to the WAL.", pipeline, w => w.PendingBytes);
        Tables(text, "icegate_shift_lag_seconds", "gauge", "Age of the oldest WAL segment not yet in the table.", tables.Shift, w => w.Table, w => w.Lag.TotalSeconds);
        Tables(text, "icegate_shift_commits_total", "counter", "Shift plans this process committed.", tables.Shift, w => w.Table, w => w.Commits);
        Tables(text, "icegate_shift_read_bytes_total", "counter", "WAL segment bytes this process shifted into data files.", tables.Shift, w => w.Table, w => w.SegmentBytesShifted);
        Tables(text, "icegate_shift_conflicts_total", "counter", "Shift state or catalog writes this process lost to another writer.", tables.Shift, w => w.Table, w => w.CommitConflicts);
        Tables(text, "icegate_shift_takeovers_total", "counter", "Shift tasks this process took over after their lease ran out.", tables.Shift, w => w.Table, w => w.Takeovers);
        Tables(text, "icegate_table_data_files", "gauge", "Data files in the table's current snapshot.", tables.Shift, w => w.Table, w => w.DataFiles);
        Tables(text, "icegate_table_files_per_partition", "gauge", "Data files per partition (tenant and day) in the current snapshot, on average.", tables.Shift, w => w.Table, w => w.FilesPerPartition);
        Tables(text, "icegate_maintenance_compacted_files_total", "counter", "Small data files this process replaced by compacted ones.", tables.Maintenance, m => m.Table, m => m.FilesCompacted);
        Tables(text, "icegate_maintenance_expired_partitions_total", "counter", "Partitions this process dropped for retention.", tables.Maintenance, m => m.Table, m => m.PartitionsExpired);
        Tables(text, "icegate_maintenance_orphans_deleted_total", "counter", "Unreferenced files this process deleted.", tables.Maintenance, m => m.Table, m => m.OrphansDeleted);
        Header(text, "icegate_queries_total", "counter", "SQL queries by outcome.");
        foreach (var outcome in Enum.GetValues<QueryOutcome>())
        {
            text.Append(CultureInfo.InvariantCulture, $"icegate_queries_total{{outcome=\"{OutcomeLabel(outcome)}\"}} {queries.Ended(outcome)}\n");
        }

        Single(text, "icegate_queries_running", "gauge", "SQL queries running now.", queries.Running);
        Single(text, "icegate_query_cache_hits_total", "counter", "Objects queries found in the local file cache.", queries.CacheHits);
        Single(text, "icegate_query_cache_fetches_total", "counter", "Objects fetched from the store into the local file cache.", queries.ObjectsFetched);
        Single(text, "icegate_query_cache_fetched_bytes_total", "counter", "Bytes fetched from the store into the local file cache.", queries.BytesFetched);
        Single(text, "icegate_query_cache_bytes", "gauge", "Bytes in the local file cache.", cache.CachedBytes);
        Header(text, "icegate_auth_failures_total", "counter", "Requests refused by key authentication, by reason.");
        foreach (var failure in Enum.GetValues<AuthFailure>())
        {
            text.Append(CultureInfo.InvariantCulture, $"icegate_auth_failures_total{{reason=\"{JsonNamingPolicy.SnakeCaseLower.ConvertName(failure.ToString())}\"}} {auth[failure]}\n");
        }
        return text.ToString();
    }

    private static string OutcomeLabel(QueryOutcome outcome) => outcome == QueryOutcome.TimedOut ? "timed_out" : outcome.ToString().ToLowerInvariant();

    private static void Single(StringBuilder text, string name, string type, string help, long value)
    {
        Header(text, name, type, help);
        text.Append(CultureInfo.InvariantCulture, $"{name} {value}\n");
    }

    private static void Counter(StringBuilder text, string name, string help, ObjectStoreUsage usage, Func<OperationUsage, long> value)
    {
        Header(text, name, "counter", help);
        foreach (var (operation, counts) in usage.Operations.OrderBy(o => o.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{operation=\"{operation.ToString().ToLowerInvariant()}\"}} {value(counts)}\n");
        }
    }

    private static void Signals(StringBuilder text, string name, string type, string help, IngestPipeline pipeline, Func<Ingest.Wal.WalWriter, double> value) =>
        Labelled(text, name, type, help, "signal", pipeline.Wals.Values.ToList(), w => w.Signal, value);

    private static void Tables<T>(StringBuilder text, string name, string type, string help, IReadOnlyList<T> workers, Func<T, string> table, Func<T, double> value) =>
        Labelled(text, name, type, help, "table", workers, table, value);

    /// <summary>One sample per item, labelled <paramref name="label"/>, in label order.</summary>
    private static void Labelled<T>(StringBuilder text, string name, string type, string help, string label, IReadOnlyList<T> items, Func<T, string> labelValue, Func<T, double> value)
    {
        Header(text, name, type, help);
        foreach (var item in items.OrderBy(labelValue, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}{{{label}=\"{labelValue(item)}\"}} {value(item)}\n");
        }
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n");
}
