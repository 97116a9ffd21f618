using IceGate.Ingest.Wal;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Ingest.Otlp;

/// <summary>One decoded span; events and links are staged as JSON (see <see cref="SpanBatch.Layout"/>).</summary>
internal readonly record struct SpanRow(
    Utf8Ref ServiceName,
    Utf8Ref TraceId,
    Utf8Ref SpanId,
    Utf8Ref ParentSpanId,
    Utf8Ref TraceState,
    Utf8Ref Name,
    Utf8Ref Kind,
    long StartMicros,
    long EndMicros,
    long DurationNanos,
    Utf8Ref StatusCode,
    Utf8Ref StatusMessage,
    MapRef ResourceAttributes,
    Utf8Ref ScopeName,
    Utf8Ref ScopeVersion,
    MapRef SpanAttributes,
    Utf8Ref EventsJson,
    Utf8Ref LinksJson);

/// <summary>The spans of one request, decoded, for one tenant.</summary>
public sealed class SpanBatch : ArenaBatch
{
    private readonly List<SpanRow> _rows = [];

    internal SpanBatch(string tenant, long ingestedMicros)
        : base(tenant, ingestedMicros)
    {
    }

    /// <summary>
    /// Spans stage events as <c>[{"t":µs,"name":…,"attributes":{…}}]</c> and links as
    /// <c>[{"trace_id":…,"span_id":…,"trace_state":…,"attributes":{…}}]</c>, converted to the table's
    /// lists of structs when the segment is written.
    /// </summary>
    public static SegmentLayout Layout { get; } = SegmentLayout.WithJsonColumns(TableSchemas.Spans, new Dictionary<string, string>
    {
        ["events"] = """list_transform(from_json(events, '[{"t":"BIGINT","name":"VARCHAR","attributes":"MAP(VARCHAR, VARCHAR)"}]'), lambda e: {'timestamp': make_timestamp(e.t), 'name': e.name, 'attributes': e.attributes})""",
        ["links"] = """from_json(links, '[{"trace_id":"VARCHAR","span_id":"VARCHAR","trace_state":"VARCHAR","attributes":"MAP(VARCHAR, VARCHAR)"}]')""",
    });

    /// <inheritdoc />
    public override int RecordCount => _rows.Count;

    /// <inheritdoc />
    private protected override void RemoveLast(int count) => _rows.RemoveRange(_rows.Count - count, count);

    internal void Add(SpanRow row) => _rows.Add(row);

    /// <inheritdoc />
    public override void AppendTo(DuckDBAppender appender)
    {
        ArgumentNullException.ThrowIfNull(appender);
        foreach (var row in _rows)
        {
            AppendTenant(appender);
            AppendText(appender, row.ServiceName);
            AppendText(appender, row.TraceId);
            AppendText(appender, row.SpanId);
            AppendText(appender, row.ParentSpanId);
            AppendText(appender, row.TraceState);
            AppendText(appender, row.Name);
            AppendText(appender, row.Kind);
            appender.AppendTimestampMicros(row.StartMicros);
            appender.AppendTimestampMicros(row.EndMicros);
            appender.Append(row.DurationNanos);
            AppendText(appender, row.StatusCode);
            AppendText(appender, row.StatusMessage);
            AppendMap(appender, row.ResourceAttributes);
            AppendText(appender, row.ScopeName);
            AppendText(appender, row.ScopeVersion);
            AppendMap(appender, row.SpanAttributes);
            AppendText(appender, row.EventsJson);
            AppendText(appender, row.LinksJson);
            appender.AppendTimestampMicros(IngestedMicros);
            appender.EndRow();
        }
    }
}
