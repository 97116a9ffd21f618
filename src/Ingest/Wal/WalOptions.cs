namespace IceGate.Ingest.Wal;

/// <summary>How requests are grouped into WAL segments.</summary>
public sealed class WalOptions
{
    /// <summary>How long a group waits for more requests after its first one.</summary>
    public TimeSpan GroupWindow { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A group is written as soon as it holds this many bytes of decoded data.</summary>
    public long MaxGroupBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Decoded bytes waiting to be written, per signal, beyond which new requests are refused
    /// (backpressure) rather than buffered.
    /// </summary>
    public long MaxPendingBytes { get; set; } = 256L << 20;

    /// <summary>Where segment files are staged before upload.</summary>
    public string ScratchDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "icegate-wal");
}
