using System.Text;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.Ingest.Otlp;

/// <summary>A decoded request whose strings and maps live in a <see cref="RowArena"/>.</summary>
public abstract class ArenaBatch : ISignalBatch
{
    private readonly byte[] _tenantUtf8;

    private protected ArenaBatch(string tenant, long ingestedMicros)
    {
        Tenant = tenant;
        IngestedMicros = ingestedMicros;
        _tenantUtf8 = Encoding.UTF8.GetBytes(tenant);
    }

    /// <inheritdoc />
    public string Tenant { get; }

    /// <summary>When IceGate received the request (µs since the epoch).</summary>
    public long IngestedMicros { get; }

    /// <inheritdoc />
    public abstract int RecordCount { get; }

    /// <inheritdoc />
    public long ByteCount => Arena.ByteCount + (RecordCount * 128L);

    internal RowArena Arena { get; } = new();

    /// <summary>Records refused individually (answered as OTLP partial success).</summary>
    public long Rejected { get; private set; }

    /// <summary>Why the first rejected record was refused.</summary>
    public string? RejectionMessage { get; private set; }

    /// <summary>Counts a rejected record (for a metric, the data points it had yielded, at least one) and drops the rows it had added.</summary>
    internal void Reject(int added, string message)
    {
        RemoveLast(added);
        Rejected += Math.Max(1, added);
        RejectionMessage ??= message;
    }

    /// <summary>Drops the last <paramref name="count"/> rows (of a record that turned out bad).</summary>
    private protected abstract void RemoveLast(int count);

    /// <inheritdoc />
    public abstract void AppendTo(DuckDBRowWriter rows);

    /// <inheritdoc />
    public void Dispose()
    {
        Arena.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected void AppendTenant(DuckDBRowWriter rows) => rows.AppendUtf8(_tenantUtf8);

    private protected void AppendText(DuckDBRowWriter rows, Utf8Ref text)
    {
        if (text.IsNull)
        {
            rows.AppendNull();
        }
        else
        {
            rows.AppendUtf8(Arena.Get(text));
        }
    }

    private protected void AppendMap(DuckDBRowWriter rows, MapRef map)
    {
        rows.BeginMap(map.Count);
        foreach (var (key, value) in Arena.Entries(map))
        {
            rows.AppendMapEntry(Arena.Get(key), Arena.Get(value));
        }

        rows.EndMap();
    }
}
