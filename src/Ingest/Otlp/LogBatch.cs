using IceGate.Lakehouse.DuckDB;

namespace IceGate.Ingest.Otlp;

/// <summary>One decoded log record; its strings and maps live in the batch's arena.</summary>
internal readonly record struct LogRow(
    Utf8Ref ServiceName,
    long TimestampMicros,
    long ObservedMicros,
    Utf8Ref TraceId,
    Utf8Ref SpanId,
    int SeverityNumber,
    Utf8Ref SeverityText,
    Utf8Ref Body,
    MapRef ResourceAttributes,
    Utf8Ref ScopeName,
    Utf8Ref ScopeVersion,
    MapRef ScopeAttributes,
    MapRef LogAttributes,
    int Flags);

/// <summary>The log records of one request, decoded, for one tenant.</summary>
public sealed class LogBatch : ArenaBatch
{
    private readonly List<LogRow> _rows = [];

    internal LogBatch(string tenant, long ingestedMicros)
        : base(tenant, ingestedMicros)
    {
    }

    /// <inheritdoc />
    public override int RecordCount => _rows.Count;

    /// <inheritdoc />
    private protected override void RemoveLast(int count) => _rows.RemoveRange(_rows.Count - count, count);

    internal IReadOnlyList<LogRow> Rows => _rows;

    internal void Add(LogRow row) => _rows.Add(row);

    /// <inheritdoc />
    public override void AppendTo(DuckDBRowWriter rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in _rows)
        {
            AppendTenant(rows);
            AppendText(rows, row.ServiceName);
            rows.AppendTimestampMicros(row.TimestampMicros);
            if (row.ObservedMicros > 0)
            {
                rows.AppendTimestampMicros(row.ObservedMicros);
            }
            else
            {
                rows.AppendNull();
            }

            rows.AppendTimestampMicros(IngestedMicros);
            AppendText(rows, row.TraceId);
            AppendText(rows, row.SpanId);
            rows.Append(row.SeverityNumber);
            AppendText(rows, row.SeverityText);
            AppendText(rows, row.Body);
            AppendMap(rows, row.ResourceAttributes);
            AppendText(rows, row.ScopeName);
            AppendText(rows, row.ScopeVersion);
            AppendMap(rows, row.ScopeAttributes);
            AppendMap(rows, row.LogAttributes);
            rows.Append(row.Flags);
            rows.EndRow();
        }
    }
}
