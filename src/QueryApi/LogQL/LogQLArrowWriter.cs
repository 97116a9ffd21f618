using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Microsoft.AspNetCore.Http;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// LogQL results as an Arrow IPC stream for <c>/api/v1/logql?format=arrow</c>: log lines as
/// (timestamp, body, level, labels) and metric points as (timestamp, value, labels), labels a
/// typed map, in record batches of <see cref="BatchRows"/> so that memory stays bounded.
/// </summary>
internal static class LogQLArrowWriter
{
    private const int BatchRows = 8192;

    private static readonly TimestampType s_time = new(TimeUnit.Microsecond, "UTC");
    private static readonly MapType s_labels = new(StringType.Default, StringType.Default);

    private static readonly Schema s_lines = new Schema.Builder()
        .Field(f => f.Name("timestamp").DataType(s_time).Nullable(false))
        .Field(f => f.Name("body").DataType(StringType.Default))
        .Field(f => f.Name("level").DataType(StringType.Default))
        .Field(f => f.Name("labels").DataType(s_labels))
        .Build();

    private static readonly Schema s_points = new Schema.Builder()
        .Field(f => f.Name("timestamp").DataType(s_time).Nullable(false))
        .Field(f => f.Name("value").DataType(DoubleType.Default).Nullable(false))
        .Field(f => f.Name("labels").DataType(s_labels))
        .Build();

    public static Task WriteLinesAsync(HttpContext http, IEnumerable<(LabelSet Labels, long TimestampMicros, string Line)> lines) =>
        WriteAsync(http, s_lines, lines, static (columns, line) =>
        {
            ((TimestampArray.Builder)columns[0]).Append(Time(line.TimestampMicros));
            ((StringArray.Builder)columns[1]).Append(line.Line);
            ((StringArray.Builder)columns[2]).Append(line.Labels["level"] ?? "unknown");
            AppendLabels((MapArray.Builder)columns[3], line.Labels);
        });

    public static Task WritePointsAsync(HttpContext http, IEnumerable<(LabelSet Labels, long TimestampMicros, double Value)> points) =>
        WriteAsync(http, s_points, points, static (columns, point) =>
        {
            ((TimestampArray.Builder)columns[0]).Append(Time(point.TimestampMicros));
            ((DoubleArray.Builder)columns[1]).Append(point.Value);
            AppendLabels((MapArray.Builder)columns[2], point.Labels);
        });

    private static async Task WriteAsync<T>(HttpContext http, Schema schema, IEnumerable<T> rows, Action<IArrowArrayBuilder[], T> append)
    {
        http.Response.ContentType = ArrowResultWriter.ContentType;
        using var writer = new ArrowStreamWriter(http.Response.Body, schema, leaveOpen: true);
        await writer.WriteStartAsync(http.RequestAborted).ConfigureAwait(false);
        var columns = Builders(schema);
        var count = 0;
        foreach (var row in rows)
        {
            append(columns, row);
            if (++count == BatchRows)
            {
                await WriteBatchAsync(writer, schema, columns, count, http.RequestAborted).ConfigureAwait(false);
                columns = Builders(schema);
                count = 0;
            }
        }

        if (count > 0)
        {
            await WriteBatchAsync(writer, schema, columns, count, http.RequestAborted).ConfigureAwait(false);
        }

        await writer.WriteEndAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteBatchAsync(ArrowStreamWriter writer, Schema schema, IArrowArrayBuilder[] columns, int count, CancellationToken cancellationToken)
    {
        using var batch = new RecordBatch(schema, columns.Select(Build), count);
        await writer.WriteRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private static IArrowArrayBuilder[] Builders(Schema schema) => [.. schema.FieldsList.Select(field => field.DataType switch
    {
        TimestampType time => (IArrowArrayBuilder)new TimestampArray.Builder(time),
        StringType => new StringArray.Builder(),
        DoubleType => new DoubleArray.Builder(),
        MapType map => new MapArray.Builder(map),
        var other => throw new NotSupportedException($"No builder for {other}."),
    })];

    private static IArrowArray Build(IArrowArrayBuilder builder) => builder switch
    {
        TimestampArray.Builder time => time.Build(),
        StringArray.Builder text => text.Build(),
        DoubleArray.Builder number => number.Build(),
        MapArray.Builder map => map.Build(),
        _ => throw new NotSupportedException($"No array from {builder.GetType()}."),
    };

    private static void AppendLabels(MapArray.Builder map, LabelSet labels)
    {
        map.Append();
        var (keys, values) = ((StringArray.Builder)map.KeyBuilder, (StringArray.Builder)map.ValueBuilder);
        foreach (var (name, value) in labels.Labels)
        {
            keys.Append(name);
            values.Append(value);
        }
    }

    private static DateTimeOffset Time(long micros) => DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
}
