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
    public override void AppendTo(DuckDBAppender appender)
    {
        ArgumentNullException.ThrowIfNull(appender);
        foreach (var row in _rows)
        {
            AppendTenant(appender);
            AppendText(appender, row.ServiceName);
            appender.AppendTimestampMicros(row.TimestampMicros);
            if (row.ObservedMicros > 0)
            {
                appender.AppendTimestampMicros(row.ObservedMicros);
            }
            else
            {
                appender.AppendNull();
            }

            appender.AppendTimestampMicros(IngestedMicros);
            AppendText(appender, row.TraceId);
            AppendText(appender, row.SpanId);
            appender.Append(row.SeverityNumber);
            AppendText(appender, row.SeverityText);
            AppendText(appender, row.Body);
            AppendMap(appender, row.ResourceAttributes);
            AppendText(appender, row.ScopeName);
            AppendText(appender, row.ScopeVersion);
            AppendMap(appender, row.ScopeAttributes);
            AppendMap(appender, row.LogAttributes);
            appender.Append(row.Flags);
            appender.EndRow();
        }
    }
}
