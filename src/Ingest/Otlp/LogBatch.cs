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
public sealed class LogBatch : ISignalBatch
{
    private readonly List<LogRow> _rows = [];

    internal LogBatch(string tenant, long ingestedMicros)
    {
        Tenant = tenant;
        IngestedMicros = ingestedMicros;
    }

    /// <inheritdoc />
    public string Tenant { get; }

    /// <summary>When IceGate received the request.</summary>
    public long IngestedMicros { get; }

    /// <inheritdoc />
    public int RecordCount => _rows.Count;

    /// <inheritdoc />
    public long ByteCount => Arena.ByteCount + (_rows.Count * 64L);

    internal RowArena Arena { get; } = new();

    internal IReadOnlyList<LogRow> Rows => _rows;

    internal void Add(LogRow row) => _rows.Add(row);

    /// <inheritdoc />
    public void AppendTo(DuckDBAppender appender)
    {
        ArgumentNullException.ThrowIfNull(appender);
        var tenant = System.Text.Encoding.UTF8.GetBytes(Tenant);
        foreach (var row in _rows)
        {
            appender.AppendUtf8(tenant);
            Text(appender, row.ServiceName);
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
            Text(appender, row.TraceId);
            Text(appender, row.SpanId);
            appender.Append(row.SeverityNumber);
            Text(appender, row.SeverityText);
            Text(appender, row.Body);
            Map(appender, row.ResourceAttributes);
            Text(appender, row.ScopeName);
            Text(appender, row.ScopeVersion);
            Map(appender, row.ScopeAttributes);
            Map(appender, row.LogAttributes);
            appender.Append(row.Flags);
            appender.EndRow();
        }
    }

    /// <inheritdoc />
    public void Dispose() => Arena.Dispose();

    private void Text(DuckDBAppender appender, Utf8Ref text)
    {
        if (text.IsNull)
        {
            appender.AppendNull();
        }
        else
        {
            appender.AppendUtf8(Arena.Get(text));
        }
    }

    private void Map(DuckDBAppender appender, MapRef map)
    {
        appender.BeginMap();
        foreach (var (key, value) in Arena.Entries(map))
        {
            appender.AppendMapEntry(Arena.Get(key), Arena.Get(value));
        }

        appender.EndMap();
    }
}
