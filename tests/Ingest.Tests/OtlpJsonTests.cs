using System.Text;
using IceGate.Ingest.Otlp;
using IceGate.Ingest.Wal;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace IceGate.Ingest.Tests;

/// <summary>JSON shaped like the OTLP specification's examples, decoded and written as WAL segments.</summary>
public sealed class OtlpJsonTests : IDisposable
{
    private const string LogsExample = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
          "scopeLogs":[{"scope":{"name":"my.library","version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":{"stringValue":"some scope attribute"}}]},
            "logRecords":[{"timeUnixNano":1544712660300000000,"observedTimeUnixNano":"1544712660300000000","severityNumber":10,"severityText":"Information",
              "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","body":{"stringValue":"Example log record"},
              "attributes":[{"key":"string.attribute","value":{"stringValue":"some string"}},{"key":"boolean.attribute","value":{"boolValue":true}},
                {"key":"int.attribute","value":{"intValue":"10"}},{"key":"double.attribute","value":{"doubleValue":637.704}},
                {"key":"array.attribute","value":{"arrayValue":{"values":[{"stringValue":"many"},{"stringValue":"values"}]}}},
                {"key":"map.attribute","value":{"kvlistValue":{"values":[{"key":"some.map.key","value":{"stringValue":"some value"}}]}}}],
              "someFutureField":{"ignored":true}}]}]}]}
        """;

    private const string TraceExample = """
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
          "scopeSpans":[{"scope":{"name":"my.library","version":"1.0.0"},
            "spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","parentSpanId":"EEE19B7EC3C1B173","name":"I'm a server span",
              "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000","kind":2,
              "attributes":[{"key":"my.span.attr","value":{"stringValue":"some value"}}],
              "events":[{"timeUnixNano":"1544712660500000000","name":"cache miss","attributes":[{"key":"key","value":{"stringValue":"user:1"}}]}],
              "status":{"code":2,"message":"boom"}}]}]}]}
        """;

    private const string MetricsExample = """
        {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"my.service"}}]},
          "scopeMetrics":[{"scope":{"name":"my.library","version":"1.0.0"},"metrics":[
            {"name":"my.counter","unit":"1","description":"I am a Counter","sum":{"aggregationTemporality":1,"isMonotonic":true,
              "dataPoints":[{"asDouble":5,"startTimeUnixNano":1544712660300000000,"timeUnixNano":1544712660300000000,"attributes":[{"key":"my.counter.attr","value":{"stringValue":"some value"}}]}]}},
            {"name":"my.gauge","unit":"1","description":"I am a Gauge","gauge":{"dataPoints":[{"asInt":"10","timeUnixNano":1544712660300000000}]}},
            {"name":"my.histogram","unit":"1","description":"I am a Histogram","histogram":{"aggregationTemporality":1,
              "dataPoints":[{"startTimeUnixNano":1544712660300000000,"timeUnixNano":1544712660300000000,"count":3,"sum":3,"bucketCounts":[1,1,1],"explicitBounds":[1,2],"min":1,"max":1}]}},
            {"name":"my.exponential","unit":"By","exponentialHistogram":{"aggregationTemporality":2,
              "dataPoints":[{"timeUnixNano":"1544712660300000000","count":"6","sum":60,"scale":-1,"zeroCount":"1","positive":{"offset":-2,"bucketCounts":["2","3"]},"negative":{"offset":1,"bucketCounts":[]}}]}},
            {"name":"my.summary","unit":"ms","summary":{"dataPoints":[{"timeUnixNano":1544712660300000000,"count":4,"sum":10.5,
              "quantileValues":[{"quantile":0.5,"value":2},{"quantile":0.99,"value":"Infinity"}]}]}}]}]}]}
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("icegate-json-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task The_logs_example_decodes_to_the_expected_row()
    {
        var rows = await WriteAndReadAsync(TableSchemas.Logs, SegmentLayout.Identity(TableSchemas.Logs), OtlpDecoder.Decode(Signal.Logs, OtlpJson.ToProtobuf(Signal.Logs, Encoding.UTF8.GetBytes(LogsExample)), "acme", 1),
            "SELECT tenant_id, service_name, strftime(timestamp, '%Y-%m-%d %H:%M:%S.%g'), trace_id, span_id, severity_number, severity_text, body, scope_name, scope_version, scope_attributes['my.scope.attribute'], log_attributes FROM wal");
        var row = Assert.Single(rows);
        Assert.Equal(["acme", "my.service", "2018-12-13 14:51:00.300", "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", 10, "Information", "Example log record", "my.library", "1.0.0", "some scope attribute"], row[..11]);
        var attributes = (Dictionary<object, object?>)row[11]!;
        Assert.Equal("some string", attributes["string.attribute"]);
        Assert.Equal("true", attributes["boolean.attribute"]);
        Assert.Equal("10", attributes["int.attribute"]);
        Assert.Equal("637.704", attributes["double.attribute"]);
        Assert.Equal("""["many","values"]""", attributes["array.attribute"]);
        Assert.Equal("""{"some.map.key":"some value"}""", attributes["map.attribute"]);
    }

    [Fact]
    public async Task The_trace_example_decodes_to_the_expected_row()
    {
        var rows = await WriteAndReadAsync(TableSchemas.Spans, SpanBatch.Layout, OtlpDecoder.Decode(Signal.Traces, OtlpJson.ToProtobuf(Signal.Traces, Encoding.UTF8.GetBytes(TraceExample)), "acme", 1),
            "SELECT name, trace_id, span_id, parent_span_id, kind, duration, status_code, status_message, span_attributes['my.span.attr'], events[1].name, strftime(events[1].timestamp, '%S.%g'), events[1].attributes['key'], links FROM wal");
        Assert.Equal(["I'm a server span", "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "eee19b7ec3c1b173", "server", 1_000_000_000L, "error", "boom", "some value", "cache miss", "00.500", "user:1", null], Assert.Single(rows));
    }

    [Fact]
    public async Task The_metrics_example_decodes_to_one_row_per_data_point_of_every_type()
    {
        var rows = await WriteAndReadAsync(TableSchemas.Metrics, MetricBatch.Layout, OtlpDecoder.Decode(Signal.Metrics, OtlpJson.ToProtobuf(Signal.Metrics, Encoding.UTF8.GetBytes(MetricsExample)), "acme", 1),
            """
            SELECT metric_name, metric_type, unit, value_double, value_int, is_monotonic, aggregation_temporality, count, sum, min, max,
                   bucket_counts, explicit_bounds, scale, zero_count, positive_offset, positive_bucket_counts, negative_bucket_counts, quantiles, attributes['my.counter.attr']
            FROM wal ORDER BY metric_name
            """);
        var byName = rows.ToDictionary(r => (string)r[0]!);
        Assert.Equal(["sum", "1", 5.0, null, true, 1, null, null, null, null, null, null, null, null, null, null, null, null, "some value"], byName["my.counter"][1..]);
        Assert.Equal(["gauge", "1", null, 10L], byName["my.gauge"][1..5]);
        var histogram = byName["my.histogram"];
        Assert.Equal(["histogram", 3L, 3.0, 1.0, 1.0], new[] { histogram[1], histogram[7], histogram[8], histogram[9], histogram[10] });
        Assert.Equal(new List<object?> { 1L, 1L, 1L }, histogram[11]);
        Assert.Equal(new List<object?> { 1.0, 2.0 }, histogram[12]);
        var exponential = byName["my.exponential"];
        Assert.Equal(["exponential_histogram", "By", 2, 6L, 60.0, -1, 1L, -2], new[] { exponential[1], exponential[2], exponential[6], exponential[7], exponential[8], exponential[13], exponential[14], exponential[15] });
        Assert.Equal(new List<object?> { 2L, 3L }, exponential[16]);
        Assert.Equal(new List<object?>(), exponential[17]);
        var summary = byName["my.summary"];
        Assert.Equal(["summary", 4L, 10.5], new[] { summary[1], summary[7], summary[8] });
        var quantiles = (List<object?>)summary[18]!;
        Assert.Equal(0.5, ((Dictionary<string, object?>)quantiles[0]!)["quantile"]);
        Assert.Equal(2.0, ((Dictionary<string, object?>)quantiles[0]!)["value"]);
        Assert.Null(((Dictionary<string, object?>)quantiles[1]!)["value"]);
    }

    [Theory]
    [InlineData("{\"resourceLogs\": [")]
    [InlineData("{\"resourceLogs\": [{\"scopeLogs\": [{\"logRecords\": [{\"traceId\": \"not hex\"}]}]}]}")]
    [InlineData("{\"resourceLogs\": [{\"scopeLogs\": [{\"logRecords\": [{\"timeUnixNano\": \"soon\"}]}]}]}")]
    [InlineData("[1, 2]")]
    public void Malformed_json_is_invalid_data(string json) =>
        Assert.Throws<InvalidDataException>(() => OtlpJson.ToProtobuf(Signal.Logs, Encoding.UTF8.GetBytes(json)));

    private async Task<List<object?[]>> WriteAndReadAsync(TableDefinition table, SegmentLayout layout, ISignalBatch batch, string select)
    {
        var store = new LocalObjectStore(Path.Combine(_root, "store"));
        await using (var wal = new WalWriter(store, table, layout, new WalOptions { ScratchDirectory = Path.Combine(_root, "scratch") }, NullLogger.Instance))
        {
            await wal.AppendAsync(batch);
        }

        using var duck = new DuckDBConnection();
        duck.Open();
        using var command = new DuckDBCommand($"WITH wal AS (SELECT * FROM read_parquet('{Path.Combine(_root, "store", "objects", "wal", table.Name)}/*.parquet')) {select}", duck);
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
        }

        return rows;
    }
}
