using IceGate.Lakehouse.DuckDB;

namespace IceGate.Ingest;

/// <summary>The decoded records of one request, ready to be written into a WAL segment.</summary>
public interface ISignalBatch : IDisposable
{
    /// <summary>The tenant every record belongs to.</summary>
    string Tenant { get; }

    /// <summary>How many records (log records, spans, data points) it holds.</summary>
    int RecordCount { get; }

    /// <summary>Records refused individually while decoding; the rest are stored.</summary>
    long Rejected { get; }

    /// <summary>Why the first rejected record was refused, if any was.</summary>
    string? RejectionMessage { get; }

    /// <summary>Approximate memory the batch holds, for backpressure accounting.</summary>
    long ByteCount { get; }

    /// <summary>Appends every record as a row of the signal's table, in the table's column order.</summary>
    void AppendTo(DuckDBRowWriter rows);
}
