namespace IceGate.Ingest.Shift;

/// <summary>Compaction, retention, snapshot expiry and orphan collection of the signal tables.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Whether this process takes part (one process at a time maintains a table, by lease).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often a table is maintained.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The size compaction aims for; files at least this large are left alone.</summary>
    public long TargetFileBytes { get; set; } = 128L << 20;

    /// <summary>A partition is compacted once it has at least this many files below the target size.</summary>
    public int CompactMinFiles { get; set; } = 4;

    /// <summary>Data files without a skipping index (written before indexes, or with them off) that a round indexes.</summary>
    public int IndexBackfillFiles { get; set; } = 8;

    /// <summary>Days of data kept per table (by the day partition); tables not listed keep everything.</summary>
    public Dictionary<string, int> RetentionDays { get; set; } = new(StringComparer.Ordinal) { ["logs"] = 30, ["spans"] = 30, ["metrics"] = 90 };

    /// <summary>Per-table overrides for single tenants, e.g. <c>Maintenance:TenantRetentionDays:logs:acme=7</c>.</summary>
    public Dictionary<string, Dictionary<string, int>> TenantRetentionDays { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long replaced snapshots stay readable (time travel, and queries planned before a commit).</summary>
    public TimeSpan SnapshotRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Snapshots always kept, however old.</summary>
    public int RetainSnapshots { get; set; } = 5;

    /// <summary>
    /// How old an unreferenced file must be before it is deleted: longer than any shift task or
    /// commit takes between writing a file and committing it.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Days kept for <paramref name="tenant"/> in <paramref name="table"/>, or null to keep everything.</summary>
    public int? RetentionFor(string table, string tenant) =>
        TenantRetentionDays.TryGetValue(table, out var tenants) && tenants.TryGetValue(tenant, out var days) ? days
        : RetentionDays.TryGetValue(table, out var tableDays) ? tableDays
        : null;
}
