using IceGate.Ingest;
using IceGate.Ingest.Shift;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;
using IceGate.QueryApi;

namespace IceGate.Server;

/// <summary>
/// The service's configuration: a JSON file (<c>--config</c>), then <c>ICEGATE_</c> environment
/// variables (<c>ICEGATE_STORE__KIND=s3</c>), then command-line flags (<c>--Store:Kind=s3</c>), each
/// overriding the one before.
/// </summary>
public sealed class IceGateOptions
{
    /// <summary>Where the embedded local store keeps its files.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The object store.</summary>
    public StoreOptions Store { get; set; } = new();

    /// <summary>The HTTP listener for the query API, Loki API, Iceberg REST catalog and health.</summary>
    public string QueryUrl { get; set; } = "http://0.0.0.0:3100";

    /// <summary>The OTLP/HTTP listener.</summary>
    public string OtlpHttpUrl { get; set; } = "http://0.0.0.0:4318";

    /// <summary>The OTLP/gRPC listener (HTTP/2 without TLS).</summary>
    public string OtlpGrpcUrl { get; set; } = "http://0.0.0.0:4317";

    /// <summary>The Arrow Flight SQL listener (gRPC, HTTP/2 without TLS).</summary>
    public string FlightSqlUrl { get; set; } = "http://0.0.0.0:8815";

    /// <summary>The Iceberg catalog.</summary>
    public CatalogOptions Catalog { get; set; } = new();

    /// <summary>Ingest: tenants, limits, WAL grouping.</summary>
    public IngestOptions Ingest { get; set; } = new();

    /// <summary>Shift: WAL segments into Iceberg data files, WAL cleanup.</summary>
    public ShiftOptions Shift { get; set; } = new();

    /// <summary>Skipping indexes beside data files: which attributes, and whether at all.</summary>
    public IndexOptions Index { get; set; } = new();

    /// <summary>Maintenance: compaction, retention, snapshot expiry, orphan collection.</summary>
    public MaintenanceOptions Maintenance { get; set; } = new();

    /// <summary>Queries: local cache, DuckDB limits, row limits, timeout.</summary>
    public QueryOptions Query { get; set; } = new();

    /// <summary>Authentication: API keys.</summary>
    public AuthOptions Auth { get; set; } = new();

    /// <summary>IceGate's own telemetry.</summary>
    public TelemetryOptions Telemetry { get; set; } = new();
}

/// <summary>Where IceGate sends its own traces.</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// An OTLP/gRPC endpoint (<c>http://collector:4317</c>) for IceGate's traces: ingest requests,
    /// WAL segments, shift tasks and commits, queries. <c>self</c> sends them to this process's own
    /// OTLP/gRPC listener, so IceGate can be observed with IceGate. Unset: no traces are recorded.
    /// </summary>
    public string? OtlpEndpoint { get; set; }
}

/// <summary>Who may call the service.</summary>
public sealed class AuthOptions
{
    /// <summary>
    /// A JSON array of keys (<c>{"id", "tenant", "scopes", "sha256"}</c>, made with
    /// <c>icegate keys new</c>); when set, every endpoint but the health probes needs one. Unset:
    /// open to anyone who can reach the listeners.
    /// </summary>
    public string? KeysFile { get; set; }
}

/// <summary>The Iceberg catalog's settings.</summary>
public sealed class CatalogOptions
{
    /// <summary>The namespace holding the logs, spans and metrics tables.</summary>
    public string Namespace { get; set; } = "icegate";

    /// <summary>
    /// An S3 access key the Iceberg REST catalog hands to engines reading the tables (credential
    /// vending). Give it read-only rights: it is sent to every caller of the catalog. Unset, the
    /// catalog sends no credentials at all, and engines bring their own.
    /// </summary>
    public string? VendedAccessKey { get; set; }

    /// <summary>The secret of <see cref="VendedAccessKey"/>.</summary>
    public string? VendedSecretKey { get; set; }
}

/// <summary>Which object store holds all state.</summary>
public sealed class StoreOptions
{
    /// <summary><c>local</c> (the default: a directory, <see cref="IceGateOptions.DataDirectory"/>) or <c>s3</c>.</summary>
    public string Kind { get; set; } = "local";

    /// <summary>The S3 connection, when <see cref="Kind"/> is <c>s3</c>.</summary>
    public S3ObjectStoreOptions S3 { get; set; } = new();

    /// <summary>How failed store requests are retried.</summary>
    public RetryPolicy Retry { get; set; } = new();

    /// <summary>
    /// Faults to inject into every store request, for chaos and backpressure tests; none by default.
    /// </summary>
    public StoreFaultOptions Faults { get; set; } = new();
}

/// <summary>Deliberate store misbehaviour (see <see cref="FaultInjectingObjectStore"/>).</summary>
public sealed class StoreFaultOptions
{
    /// <summary>Probability of a transient error before a request.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Probability of losing the response of a request that took effect.</summary>
    public double LostResponseRate { get; set; }

    /// <summary>Probability of delaying a request.</summary>
    public double LatencyRate { get; set; }

    /// <summary>The longest injected delay.</summary>
    public TimeSpan MaxLatency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>True if any fault is configured.</summary>
    public bool Any => ErrorRate > 0 || LostResponseRate > 0 || LatencyRate > 0;
}
