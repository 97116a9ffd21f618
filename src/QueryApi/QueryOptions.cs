namespace IceGate.QueryApi;

/// <summary>The query service's settings (<c>Query:*</c>).</summary>
public sealed class QueryOptions
{
    /// <summary>
    /// Where fetched data files and WAL segments are kept, in a subdirectory per process that starts
    /// empty (a restart begins with a cold cache).
    /// </summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "icegate-query");

    /// <summary>The most bytes the local file cache keeps; least recently used files go first.</summary>
    public long CacheBytes { get; set; } = 10L << 30;

    /// <summary>The most bytes of skipping indexes kept in memory; least recently used go first.</summary>
    public long IndexCacheBytes { get; set; } = 256L << 20;

    /// <summary>
    /// Whether a cold query fetches a data file's footer and the chunks of the columns it names
    /// (ranged reads) rather than the whole file.
    /// </summary>
    public bool RangedReads { get; set; } = true;

    /// <summary>Objects fetched from the store at once for one query.</summary>
    public int ParallelFetches { get; set; } = 8;

    /// <summary>DuckDB's memory limit for all queries together (<c>memory_limit</c>); spills to the cache directory beyond it.</summary>
    public string MemoryLimit { get; set; } = "2GB";

    /// <summary>DuckDB worker threads for all queries together; 0 means one per core.</summary>
    public int Threads { get; set; }

    /// <summary>Rows returned when a request names no limit.</summary>
    public int DefaultLimit { get; set; } = 10_000;

    /// <summary>The largest limit a request may ask for.</summary>
    public int MaxLimit { get; set; } = 1_000_000;

    /// <summary>How long a query may run before it is cancelled (504 if no row was sent yet).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether queries include WAL segments the table does not hold yet (data acknowledged seconds ago).</summary>
    public bool IncludeWal { get; set; } = true;

    /// <summary>What each tenant's queries may take, unless <see cref="TenantLimits"/> says otherwise.</summary>
    public QueryLimits Limits { get; set; } = new();

    /// <summary>Per-tenant overrides of <see cref="Limits"/> (<c>Query:TenantLimits:acme:MaxSeries=500</c>).</summary>
    public Dictionary<string, QueryLimitOverrides> TenantLimits { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The limits that hold for <paramref name="tenant"/>.</summary>
    public QueryLimits LimitsFor(string tenant) => Limits.With(TenantLimits.GetValueOrDefault(tenant));
}
