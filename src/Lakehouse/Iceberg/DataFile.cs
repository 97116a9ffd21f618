namespace IceGate.Lakehouse.Iceberg;

/// <summary>
/// A Parquet data file and the statistics a manifest keeps about it, keyed by field id. Bounds use
/// <see cref="SingleValue"/> encoding.
/// </summary>
public sealed record DataFile
{
    /// <summary>The file's full URI.</summary>
    public required string FilePath { get; init; }

    /// <summary>Always <c>PARQUET</c> here.</summary>
    public string FileFormat { get; init; } = "PARQUET";

    /// <summary>The partition spec the partition values follow.</summary>
    public int SpecId { get; init; }

    /// <summary>Partition values, one per spec field in spec order; null where the source was null.</summary>
    public required IReadOnlyList<object?> Partition { get; init; }

    /// <summary>Rows in the file.</summary>
    public required long RecordCount { get; init; }

    /// <summary>The file's length in bytes.</summary>
    public required long FileSizeInBytes { get; init; }

    /// <summary>Compressed bytes per column.</summary>
    public IReadOnlyDictionary<int, long> ColumnSizes { get; init; } = new Dictionary<int, long>();

    /// <summary>Values per column, nulls included.</summary>
    public IReadOnlyDictionary<int, long> ValueCounts { get; init; } = new Dictionary<int, long>();

    /// <summary>Nulls per column.</summary>
    public IReadOnlyDictionary<int, long> NullValueCounts { get; init; } = new Dictionary<int, long>();

    /// <summary>Smallest non-null value per column.</summary>
    public IReadOnlyDictionary<int, byte[]> LowerBounds { get; init; } = new Dictionary<int, byte[]>();

    /// <summary>Largest non-null value per column.</summary>
    public IReadOnlyDictionary<int, byte[]> UpperBounds { get; init; } = new Dictionary<int, byte[]>();

    /// <summary>The sort order the rows follow, if any.</summary>
    public int? SortOrderId { get; init; }
}

/// <summary>Whether a manifest entry's file exists in, was added by, or was removed by its snapshot.</summary>
public enum ManifestEntryStatus
{
    /// <summary>Carried over from an earlier snapshot.</summary>
    Existing = 0,

    /// <summary>Added by the manifest's snapshot.</summary>
    Added = 1,

    /// <summary>Removed by the manifest's snapshot; readers skip it.</summary>
    Deleted = 2,
}

/// <summary>A row of a manifest: a data file with its status and sequence numbers.</summary>
/// <param name="Status">Existing, added or deleted.</param>
/// <param name="SnapshotId">The snapshot that added (or deleted) the file.</param>
/// <param name="SequenceNumber">The data sequence number; null for an added entry, which inherits the manifest's.</param>
/// <param name="FileSequenceNumber">The file sequence number; null for an added entry.</param>
/// <param name="File">The file.</param>
public sealed record ManifestEntry(ManifestEntryStatus Status, long? SnapshotId, long? SequenceNumber, long? FileSequenceNumber, DataFile File);

/// <summary>A partition field's summary over a manifest's files.</summary>
public sealed record FieldSummary(bool ContainsNull, bool? ContainsNan, byte[]? LowerBound, byte[]? UpperBound);

/// <summary>A row of a manifest list: one manifest, with counts and partition summaries for pruning.</summary>
public sealed record ManifestFile
{
    /// <summary>The manifest's full URI.</summary>
    public required string ManifestPath { get; init; }

    /// <summary>The manifest file's length.</summary>
    public required long ManifestLength { get; init; }

    /// <summary>The spec of every entry in it.</summary>
    public int PartitionSpecId { get; init; }

    /// <summary>0 for data files.</summary>
    public int Content { get; init; }

    /// <summary>The sequence number of the snapshot that added the manifest.</summary>
    public required long SequenceNumber { get; init; }

    /// <summary>The smallest data sequence number of its live entries.</summary>
    public required long MinSequenceNumber { get; init; }

    /// <summary>The snapshot that added the manifest.</summary>
    public required long AddedSnapshotId { get; init; }

#pragma warning disable CS1591 // Counts of entries and rows by status.
    public int AddedFilesCount { get; init; }
    public int ExistingFilesCount { get; init; }
    public int DeletedFilesCount { get; init; }
    public long AddedRowsCount { get; init; }
    public long ExistingRowsCount { get; init; }
    public long DeletedRowsCount { get; init; }
#pragma warning restore CS1591

    /// <summary>One summary per partition field, in spec order.</summary>
    public IReadOnlyList<FieldSummary> Partitions { get; init; } = [];
}
