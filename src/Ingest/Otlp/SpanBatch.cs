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
    public override void AppendTo(DuckDBRowWriter rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in _rows)
        {
            AppendTenant(rows);
            AppendText(rows, row.ServiceName);
            AppendText(rows, row.TraceId);
            AppendText(rows, row.SpanId);
            AppendText(rows, row.ParentSpanId);
            AppendText(rows, row.TraceState);
            AppendText(rows, row.Name);
            AppendText(rows, row.Kind);
            rows.AppendTimestampMicros(row.StartMicros);
            rows.AppendTimestampMicros(row.EndMicros);
            rows.Append(row.DurationNanos);
            AppendText(rows, row.StatusCode);
            AppendText(rows, row.StatusMessage);
            AppendMap(rows, row.ResourceAttributes);
            AppendText(rows, row.ScopeName);
            AppendText(rows, row.ScopeVersion);
            AppendMap(rows, row.SpanAttributes);
            AppendText(rows, row.EventsJson);
            AppendText(rows, row.LinksJson);
            rows.AppendTimestampMicros(IngestedMicros);
            rows.EndRow();
        }
    }
}
