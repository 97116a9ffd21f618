namespace IceGate.QueryApi;

/// <summary>What one query did, reported with its result (and totalled on <c>/metrics</c>).</summary>
public sealed class QueryCounters
{
    private long _bytesFetched;
    private long _bytesScanned;
    private int _objectsFetched;
    private int _cacheHits;

    /// <summary>The snapshot read, if the tables had one.</summary>
    public long? SnapshotId { get; set; }

    /// <summary>Data files the snapshot's manifests listed for the tenant's scans.</summary>
    public int FilesConsidered { get; set; }

    /// <summary>Of those, files pruned by partition values and column bounds.</summary>
    public int FilesPruned { get; set; }

    /// <summary>Of the files left after that, files skipped because their skipping index rules the query's needles out.</summary>
    public int FilesSkippedByIndex { get; set; }

    /// <summary>Files DuckDB read: data files left after pruning plus WAL segments.</summary>
    public int FilesScanned { get; set; }

    /// <summary>WAL segments read (data acknowledged but not yet in the table).</summary>
    public int WalSegments { get; set; }

    /// <summary>Object bytes fetched from the store into the local cache.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    /// <summary>The bytes of the files planned for DuckDB to read (fetched or found in the cache).</summary>
    public long BytesScanned => Interlocked.Read(ref _bytesScanned);

    /// <summary>Objects fetched from the store.</summary>
    public int ObjectsFetched => Volatile.Read(ref _objectsFetched);

    /// <summary>Objects found in the local cache.</summary>
    public int CacheHits => Volatile.Read(ref _cacheHits);

    /// <summary>Rows returned.</summary>
    public long Rows { get; set; }

    /// <summary>Whether the row limit cut the result short.</summary>
    public bool Truncated { get; set; }

    internal void AddFetched(long bytes)
    {
        Interlocked.Add(ref _bytesFetched, bytes);
        Interlocked.Increment(ref _objectsFetched);
    }

    internal void AddCacheHit() => Interlocked.Increment(ref _cacheHits);

    internal void AddScanned(long bytes) => Interlocked.Add(ref _bytesScanned, bytes);

    /// <summary>Adds what another query of the same request did (a LogQL query may run several).</summary>
    public void Add(QueryCounters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        SnapshotId ??= other.SnapshotId;
        FilesConsidered += other.FilesConsidered;
        FilesPruned += other.FilesPruned;
        FilesSkippedByIndex += other.FilesSkippedByIndex;
        FilesScanned += other.FilesScanned;
        WalSegments += other.WalSegments;
        Rows += other.Rows;
        Interlocked.Add(ref _bytesFetched, other.BytesFetched);
        Interlocked.Add(ref _objectsFetched, other.ObjectsFetched);
        Interlocked.Add(ref _cacheHits, other.CacheHits);
        Interlocked.Add(ref _bytesScanned, other.BytesScanned);
    }
}
