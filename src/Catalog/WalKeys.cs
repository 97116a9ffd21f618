using System.Globalization;

namespace IceGate.Catalog;

/// <summary>
/// Where WAL segments live: <c>wal/&lt;signal&gt;/&lt;offset&gt;.parquet</c>, the offset being the
/// clock in microseconds since the Unix epoch when the segment's PUT began (20 digits, so keys
/// sort by offset). Offsets are unique (create-only PUTs) but neither dense nor published in
/// order; since a PUT gives up after its publish deadline (<c>Ingest:Wal:PublishDeadline</c>), a segment never
/// appears much later than its offset says, which is how the shift knows when a range of offsets
/// is complete.
/// </summary>
public static class WalKeys
{
    /// <summary>
    /// The name of the snapshot mark (<see cref="SnapshotMarks"/>) holding the highest WAL offset
    /// the table holds: segments at or below it are in the table, those above are not yet.
    /// </summary>
    public const string Mark = "wal";

    /// <summary>The key prefix of a signal's segments.</summary>
    public static string Prefix(string signal) => $"wal/{signal}/";

    /// <summary>The key of the segment at <paramref name="offset"/>.</summary>
    public static string SegmentKey(string signal, long offset) => $"{Prefix(signal)}{offset.ToString("D20", CultureInfo.InvariantCulture)}.parquet";

    /// <summary>The offset in a segment key, if it is one.</summary>
    public static bool TryParseOffset(string key, out long offset)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = key[(key.LastIndexOf('/') + 1)..];
        offset = -1;
        return name.EndsWith(".parquet", StringComparison.Ordinal) && long.TryParse(name.AsSpan(0, name.Length - ".parquet".Length), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    /// <summary>The clock as an offset.</summary>
    public static long NowMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>The time an offset was read.</summary>
    public static DateTimeOffset TimeOf(long offset) => DateTimeOffset.UnixEpoch.AddTicks(offset * 10);
}
