using IceGate.Ingest.Wal;

namespace IceGate.Ingest;

/// <summary>Ingest settings.</summary>
public sealed class IngestOptions
{
    /// <summary>The tenant of requests without an <c>X-Scope-OrgID</c> header.</summary>
    public string DefaultTenant { get; set; } = "default";

    /// <summary>The largest request body, after decompression (OTLP recommends 64 MiB).</summary>
    public long MaxBodyBytes { get; set; } = 64L << 20;

    /// <summary>Records per second each tenant may send; 0 for no limit.</summary>
    public double RecordsPerSecondPerTenant { get; set; }

    /// <summary>Decompressed bytes per second each tenant may send; 0 for no limit.</summary>
    public double BytesPerSecondPerTenant { get; set; }

    /// <summary>How requests are grouped into WAL segments.</summary>
    public WalOptions Wal { get; set; } = new();
}
