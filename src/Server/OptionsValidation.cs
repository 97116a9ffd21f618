using IceGate.Ingest.Shift;
using IceGate.QueryApi;

namespace IceGate.Server;

/// <summary>
/// The invariants the settings documentation states, checked before anything starts: a process
/// that ran with a settle time shorter than the publish deadline would silently never shift a late
/// segment, which loses acknowledged data. Each problem is one line that names the setting.
/// </summary>
internal static class OptionsValidation
{
    public static List<string> Problems(IceGateOptions options)
    {
        var check = new Checks();
        var wal = options.Ingest.Wal;
        var shift = options.Shift;
        // A segment whose offset was read just before a plan may be published up to the deadline later, by another process's clock.
        check.Require(shift.SettleTime > wal.PublishDeadline + shift.MaxClockSkew,
            $"Shift:SettleTime ({shift.SettleTime}) must exceed Ingest:Wal:PublishDeadline ({wal.PublishDeadline}) plus Shift:MaxClockSkew ({shift.MaxClockSkew}): a segment published late would never be shifted.");
        check.AtLeast(shift.MaxClockSkew.Ticks, 0, "Shift:MaxClockSkew");
        check.AtLeast(options.Ingest.MaxBodyBytes, 1, "Ingest:MaxBodyBytes");
        check.AtLeast(options.Ingest.RecordsPerSecondPerTenant, 0, "Ingest:RecordsPerSecondPerTenant");
        check.AtLeast(options.Ingest.BytesPerSecondPerTenant, 0, "Ingest:BytesPerSecondPerTenant");
        check.Positive(wal.GroupWindow, "Ingest:Wal:GroupWindow");
        check.Positive(wal.PublishDeadline, "Ingest:Wal:PublishDeadline");
        check.AtLeast(wal.MaxGroupBytes, 1, "Ingest:Wal:MaxGroupBytes");
        check.AtLeast(wal.MaxPendingBytes, 1, "Ingest:Wal:MaxPendingBytes");
        check.AtLeast(wal.Builders, 1, "Ingest:Wal:Builders");

        check.Positive(shift.PollInterval, "Shift:PollInterval");
        check.Positive(shift.LeaseDuration, "Shift:LeaseDuration");
        check.Positive(shift.WalGrace, "Shift:WalGrace");
        check.AtLeast(shift.TaskInputBytes, 1, "Shift:TaskInputBytes");
        check.AtLeast(shift.MaxPlanSegments, 1, "Shift:MaxPlanSegments");

        check.Require(options.Catalog.VendedAccessKey is null == options.Catalog.VendedSecretKey is null, "Catalog:VendedAccessKey and Catalog:VendedSecretKey must be set together.");
        check.Require(options.Auth.KeysFile is null || File.Exists(options.Auth.KeysFile), $"Auth:KeysFile '{options.Auth.KeysFile}' does not exist.");
        check.Require(options.Telemetry.OtlpEndpoint is null or "self" || Uri.TryCreate(options.Telemetry.OtlpEndpoint, UriKind.Absolute, out var otlp) && otlp.Scheme is "http" or "https",
            $"Telemetry:OtlpEndpoint must be an http:// or https:// URL or 'self', not '{options.Telemetry.OtlpEndpoint}'.");
        check.Require(options.Index.AttributeKeys.All(key => !string.IsNullOrWhiteSpace(key)), "Index:Attributes must not list an empty key.");
        Maintenance(check, options.Maintenance);
        Query(check, options.Query);
        Store(check, options.Store);
        return check.Problems;
    }

    private static void Maintenance(Checks check, MaintenanceOptions maintenance)
    {
        check.Positive(maintenance.Interval, "Maintenance:Interval");
        check.Positive(maintenance.SnapshotRetention, "Maintenance:SnapshotRetention");
        check.Positive(maintenance.OrphanGrace, "Maintenance:OrphanGrace");
        check.AtLeast(maintenance.TargetFileBytes, 1, "Maintenance:TargetFileBytes");
        check.AtLeast(maintenance.CompactMinFiles, 2, "Maintenance:CompactMinFiles");
        check.AtLeast(maintenance.RetainSnapshots, 1, "Maintenance:RetainSnapshots");
        check.AtLeast(maintenance.IndexBackfillFiles, 0, "Maintenance:IndexBackfillFiles");
        foreach (var (table, days) in maintenance.RetentionDays)
        {
            check.AtLeast(days, 1, $"Maintenance:RetentionDays:{table}");
        }

        foreach (var (table, tenants) in maintenance.TenantRetentionDays)
        {
            foreach (var (tenant, days) in tenants)
            {
                check.AtLeast(days, 1, $"Maintenance:TenantRetentionDays:{table}:{tenant}");
            }
        }
    }

    private static void Query(Checks check, QueryOptions query)
    {
        check.AtLeast(query.CacheBytes, 1, "Query:CacheBytes");
        check.AtLeast(query.ParallelFetches, 1, "Query:ParallelFetches");
        check.AtLeast(query.IndexCacheBytes, 0, "Query:IndexCacheBytes");
        check.AtLeast(query.Threads, 0, "Query:Threads");
        check.AtLeast(query.MaxLimit, 1, "Query:MaxLimit");
        check.AtLeast(query.DefaultLimit, 1, "Query:DefaultLimit");
        check.Require(query.DefaultLimit <= query.MaxLimit, $"Query:DefaultLimit ({query.DefaultLimit}) must not exceed Query:MaxLimit ({query.MaxLimit}).");
        check.Positive(query.Timeout, "Query:Timeout");
        Limits(check, query.Limits, "Query:Limits");
        foreach (var (tenant, overrides) in query.TenantLimits)
        {
            Limits(check, query.Limits.With(overrides), $"Query:TenantLimits:{tenant}");
        }
    }

    private static void Limits(Checks check, QueryLimits limits, string section)
    {
        check.AtLeast(limits.MaxConcurrentQueries, 1, $"{section}:MaxConcurrentQueries");
        check.AtLeast(limits.MaxEntries, 1, $"{section}:MaxEntries");
        check.AtLeast(limits.MaxSeries, 1, $"{section}:MaxSeries");
        check.AtLeast(limits.MaxPoints, 1, $"{section}:MaxPoints");
        check.AtLeast(limits.MaxBytesScanned, 0, $"{section}:MaxBytesScanned");
    }

    private static void Store(Checks check, StoreOptions store)
    {
        var retry = store.Retry;
        check.AtLeast(retry.MaxAttempts, 1, "Store:Retry:MaxAttempts");
        check.Positive(retry.BaseDelay, "Store:Retry:BaseDelay");
        check.Require(retry.MaxDelay >= retry.BaseDelay, $"Store:Retry:MaxDelay ({retry.MaxDelay}) must be at least Store:Retry:BaseDelay ({retry.BaseDelay}).");
        if (!store.Kind.Equals("s3", StringComparison.OrdinalIgnoreCase))
        {
            check.Require(store.Kind.Equals("local", StringComparison.OrdinalIgnoreCase), $"Store:Kind must be 'local' or 's3', not '{store.Kind}'.");
            return;
        }

        var s3 = store.S3;
        check.Require(!string.IsNullOrWhiteSpace(s3.Bucket), "Store:S3:Bucket must be set when Store:Kind is s3.");
        check.Require(s3.AccessKey is null == s3.SecretKey is null, "Store:S3:AccessKey and Store:S3:SecretKey must be set together (or neither, for the SDK's default credentials).");
        check.Require(s3.Endpoint is null || Uri.TryCreate(s3.Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https",
            $"Store:S3:Endpoint must be an http:// or https:// URL, not '{s3.Endpoint}'.");
        check.Positive(s3.RequestTimeout, "Store:S3:RequestTimeout");
    }

    private sealed class Checks
    {
        public List<string> Problems { get; } = [];

        public void Require(bool holds, string problem)
        {
            if (!holds)
            {
                Problems.Add(problem);
            }
        }

        public void Positive(TimeSpan value, string setting) => Require(value > TimeSpan.Zero, $"{setting} must be positive, not {value}.");

        public void AtLeast(double value, double minimum, string setting) => Require(value >= minimum, $"{setting} must be at least {minimum}, not {value}.");
    }
}
