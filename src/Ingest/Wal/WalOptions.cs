namespace IceGate.Ingest.Wal;

/// <summary>How requests are grouped into WAL segments.</summary>
public sealed class WalOptions
{
    /// <summary>How long a group waits for more requests after its first one.</summary>
    public TimeSpan GroupWindow { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A group is written as soon as it holds this many bytes of decoded data (about 15,000 log
    /// records), or this divided by <see cref="Builders"/> while a builder is free: under load
    /// several groups build in parallel, and segments stay large.
    /// </summary>
    public long MaxGroupBytes { get; set; } = 8L << 20;

    /// <summary>
    /// Decoded bytes waiting to be written, per signal, beyond which new requests are refused
    /// (backpressure) rather than buffered.
    /// </summary>
    public long MaxPendingBytes { get; set; } = 256L << 20;

    /// <summary>
    /// Segments built at once per signal, each by its own DuckDB connection: building (appending
    /// rows, writing Parquet) is the WAL's bottleneck, and groups are independent.
    /// </summary>
    public int Builders { get; set; } = 2;

    /// <summary>
    /// How long a segment's PUT (with its retries) may take before its requests fail. It bounds how
    /// late a segment can appear after its offset (a clock reading) was taken, which the shift
    /// relies on: see <c>ShiftOptions.SettleTime</c>.
    /// </summary>
    public TimeSpan PublishDeadline { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Where segment files are staged before upload.</summary>
    public string ScratchDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "icegate-wal");
}
