namespace IceGate.Ingest.Shift;

/// <summary>How WAL segments become Iceberg data files.</summary>
public sealed class ShiftOptions
{
    /// <summary>Whether this process runs shift workers (any number of processes may).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How old an offset must be before a plan may cover it. A segment can appear up to
    /// <see cref="Wal.WalOptions.PublishDeadline"/> after its offset was read, so this must exceed
    /// that deadline plus any clock difference between ingesters; the default leaves an acknowledged
    /// record in the table well within a minute.
    /// </summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// How far apart the clocks of the processes writing the WAL may be. <see cref="SettleTime"/>
    /// must exceed <see cref="Wal.WalOptions.PublishDeadline"/> plus this, which is checked at start.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long an idle worker waits before looking for work again.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed task is its worker's alone; after that any worker may take it over.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The segment bytes one task reads: bounds its memory (sorting 16 MiB of segments fits well within <see cref="MemoryLimit"/>) and time.</summary>
    public long TaskInputBytes { get; set; } = 16L << 20;

    /// <summary>The most segments one plan covers; a larger backlog is worked off in several plans.</summary>
    public int MaxPlanSegments { get; set; } = 2000;

    /// <summary>How long committed segments stay for queries that planned with them before they are deleted.</summary>
    public TimeSpan WalGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Where segments are staged for DuckDB and data files before upload.</summary>
    public string ScratchDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "icegate-shift");

    /// <summary>
    /// Memory DuckDB may use for one shift task or compaction (sorting spills to the scratch
    /// directory beyond it), so that a large backlog does not grow the process without bound.
    /// </summary>
    public string MemoryLimit { get; set; } = "1GB";

    /// <summary>A DuckDB connection for rewriting data: one thread, bounded memory, spilling to scratch.</summary>
    internal string DuckDBConnectionString => $"Data Source=:memory:;threads=1;memory_limit={MemoryLimit};temp_directory={Path.Combine(ScratchDirectory, "spill")}";
}
