using System.Globalization;
using System.Text.Json.Nodes;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Tests;

namespace IceGate.Lakehouse.Tests.Iceberg;

public sealed class ParquetDataFileWriterTests : IDisposable
{
    private static readonly TableMetadata s_logs = TableMetadata.Create("file:///lake/logs", TableSchemas.Logs.Schema, TableSchemas.Logs.Spec, TableSchemas.Logs.SortOrder);

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-parquet-").FullName;
    private readonly DuckDBConnection _connection = new();

    public ParquetDataFileWriterTests() => _connection.Open();

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void A_data_file_carries_its_partition_exact_statistics_and_field_ids_and_duckdb_reads_it_back()
    {
        var path = Path.Combine(_directory, "part.parquet");
        var file = ParquetDataFileWriter.Write(_connection, s_logs, SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 5000), path, "file:///lake/logs/data/part.parquet")!;

        Assert.Equal(["acme", 19724], file.Partition);
        Assert.Equal(5000, file.RecordCount);
        Assert.Equal(new FileInfo(path).Length, file.FileSizeInBytes);
        Assert.Equal("acme", SingleValue.Decode(PrimitiveType.String, file.LowerBounds[1]));
        Assert.Equal("cart", SingleValue.Decode(PrimitiveType.String, file.LowerBounds[2]));
        Assert.Equal("search", SingleValue.Decode(PrimitiveType.String, file.UpperBounds[2]));
        var dayStart = (new DateTime(2024, 1, 2).Ticks - DateTime.UnixEpoch.Ticks) / 10;
        Assert.InRange((long)SingleValue.Decode(PrimitiveType.Timestamp, file.LowerBounds[3]), dayStart, dayStart + 86_400_000_000L);
        Assert.Equal(5000, file.NullValueCounts[4]);
        Assert.False(file.LowerBounds.ContainsKey(4));
        Assert.Equal(0, file.NullValueCounts[10]);
        Assert.True(file.ColumnSizes[11] > 0, "map columns have sizes too");
        Assert.Equal(1, file.SortOrderId);

        // Body bounds are truncated to 16 code points, as Iceberg's default metrics do.
        Assert.Equal(16, ((string)SingleValue.Decode(PrimitiveType.String, file.LowerBounds[10])).Length);

        var ids = new List<(string, int)>();
        using (var schema = new DuckDBCommand($"SELECT name, field_id FROM parquet_schema('{path}') WHERE field_id IS NOT NULL", _connection).ExecuteReader())
        {
            while (schema.Read())
            {
                ids.Add((schema.GetString(0), schema.GetInt32(1)));
            }
        }

        Assert.Contains(("tenant_id", 1), ids);
        Assert.Contains(("timestamp", 3), ids);
        Assert.Contains(("resource_attributes", 11), ids);
        Assert.Contains(("key", 12), ids);
        Assert.Contains(("value", 13), ids);
        Assert.Contains(("log_attributes", 19), ids);
        Assert.Contains(("flags", 22), ids);

        using var rows = new DuckDBCommand($"SELECT count(*), count(DISTINCT trace_id), min(service_name), sum(CASE WHEN resource_attributes['host.name'] = 'node-1' THEN 1 ELSE 0 END) FROM read_parquet('{path}')", _connection).ExecuteReader();
        Assert.True(rows.Read());
        Assert.Equal(5000L, rows.GetInt64(0));
        Assert.Equal(5000L, rows.GetInt64(1));
        Assert.Equal("cart", rows.GetString(2));
        Assert.Equal(1250L, rows.GetInt64(3));
    }

    [Fact]
    public void Duckdb_resolves_our_columns_by_field_id_not_by_name()
    {
        var path = Path.Combine(_directory, "by-id.parquet");
        ParquetDataFileWriter.Write(_connection, s_logs, SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 100), path, "file:///x.parquet");

        // read_parquet's schema parameter maps Parquet field ids to columns, as Iceberg readers do
        // after a rename: field 10 (body) is read as "message", field 8 as "level", and field 99,
        // absent from the file, as a default.
        using var reader = new DuckDBCommand($$"""
            SELECT count(*), count(*) FILTER (WHERE message LIKE 'request % handled in % ms'), sum(level), min(missing)
            FROM read_parquet('{{path}}', schema = MAP {
                10: {name: 'message', type: 'VARCHAR', default_value: NULL},
                8: {name: 'level', type: 'INTEGER', default_value: NULL},
                99: {name: 'missing', type: 'VARCHAR', default_value: 'absent'}
            })
            """, _connection).ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(100L, reader.GetInt64(0));
        Assert.Equal(100L, reader.GetInt64(1));
        Assert.Equal((10 * 17) + (90 * 9), reader.GetInt64(2));
        Assert.Equal("absent", reader.GetString(3));
    }

    [Fact]
    public void Rows_are_sorted_by_the_tables_sort_order()
    {
        var path = Path.Combine(_directory, "sorted.parquet");
        ParquetDataFileWriter.Write(_connection, s_logs, SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 3000), path, "file:///x.parquet");
        using var reader = new DuckDBCommand($"SELECT service_name, timestamp FROM read_parquet('{path}')", _connection).ExecuteReader();
        (string Service, DateTime Time)? previous = null;
        while (reader.Read())
        {
            var current = (reader.GetString(0), reader.GetDateTime(1));
            if (previous is { } p)
            {
                Assert.True(string.CompareOrdinal(p.Service, current.Item1) < 0 || (p.Service == current.Item1 && p.Time <= current.Item2), $"{p} came before {current}");
            }

            previous = current;
        }
    }

    /// <summary>
    /// Every value of a data file of each table, as arrow-rs reads it, equals what DuckDB reads:
    /// v2 data pages, delta-encoded strings, nested maps and lists of structs, nulls at every level,
    /// 64-bit integers beyond a double's precision, timestamps to the microsecond, text beyond ASCII.
    /// </summary>
    [Theory]
    [InlineData("logs")]
    [InlineData("spans")]
    [InlineData("metrics")]
    public void Arrow_rs_reads_every_value_of_a_data_file_as_duckdb_does(string tableName)
    {
        var definition = TableSchemas.All.Single(t => t.Name == tableName);
        var table = TableMetadata.Create($"file:///lake/{tableName}", definition.Schema, definition.Spec, definition.SortOrder);
        var path = Path.Combine(_directory, $"{tableName}.parquet");
        var source = tableName switch
        {
            "logs" => $"(SELECT * REPLACE (CASE WHEN severity_number = 17 THEN NULL ELSE body || ' – ü 🧊' END AS body, CASE WHEN body LIKE '%5 ms' THEN NULL ELSE log_attributes END AS log_attributes) FROM {SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 3000)})",
            "spans" => SpanRows,
            _ => MetricRows,
        };
        ParquetDataFileWriter.Write(_connection, table, source, path, $"file:///lake/{tableName}/data.parquet");

        using (var encodings = new DuckDBCommand($"SELECT count(*) FROM parquet_metadata('{path}') WHERE encodings LIKE '%DELTA_LENGTH_BYTE_ARRAY%'", _connection).ExecuteReader())
        {
            Assert.True(encodings.Read() && encodings.GetInt64(0) > 0, "strings are written as v2 delta-length byte arrays");
        }

        var expected = new List<JsonObject>();
        using (var reader = new DuckDBCommand($"SELECT to_json(t)::VARCHAR FROM read_parquet('{path}') t", _connection).ExecuteReader())
        {
            while (reader.Read())
            {
                expected.Add(JsonNode.Parse(reader.GetString(0))!.AsObject());
            }
        }

        var actual = NodeScripts.JsonLines("Iceberg/read_parquet.mjs", path);
        Assert.Equal(expected.Count, actual.Count);
        Assert.True(expected.Count >= 2000, "the file has rows to compare");
        for (var row = 0; row < expected.Count; row++)
        {
            ArrowValues.AssertSame(new StructType(definition.Schema.Fields), expected[row], actual[row], $"{tableName} row {row}");
        }
    }

    [Fact]
    public void Rows_of_two_days_or_two_tenants_are_refused()
    {
        var twoDays = $"(SELECT * FROM {SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 10)} UNION ALL SELECT * FROM {SampleRows.Logs("acme", new DateOnly(2024, 1, 3), 10)})";
        Assert.Throws<ArgumentException>(() => ParquetDataFileWriter.Write(_connection, s_logs, twoDays, Path.Combine(_directory, "a.parquet"), "file:///a.parquet"));
        var twoTenants = $"(SELECT * FROM {SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 10)} UNION ALL SELECT * FROM {SampleRows.Logs("globex", new DateOnly(2024, 1, 2), 10)})";
        Assert.Throws<ArgumentException>(() => ParquetDataFileWriter.Write(_connection, s_logs, twoTenants, Path.Combine(_directory, "b.parquet"), "file:///b.parquet"));
        Assert.Null(ParquetDataFileWriter.Write(_connection, s_logs, SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 0), Path.Combine(_directory, "c.parquet"), "file:///c.parquet"));
    }

    [Theory]
    [InlineData("short", false, "short")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", false, "abcdefghijklmnop")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", true, "abcdefghijklmnoq")]
    [InlineData("ääääääääääääääääzz", true, "äääääääääääääääå")]
    public void String_bounds_truncate_to_sixteen_code_points(string value, bool upper, string expected) =>
        Assert.Equal(expected, ParquetDataFileWriter.TruncateString(value, upper));

    // Spans of one tenant and day: parent ids, events and links sometimes null or empty, durations
    // beyond 2^53 (a reader that goes through doubles changes them).
    private const string SpanRows = """
        (SELECT 'acme' AS tenant_id, ['checkout', 'cart'][1 + (i % 2)::INTEGER] AS service_name,
                md5(i::VARCHAR) AS trace_id, substr(md5((i * 7)::VARCHAR), 1, 16) AS span_id,
                CASE WHEN i % 5 = 0 THEN NULL ELSE substr(md5((i * 3)::VARCHAR), 1, 16) END AS parent_span_id,
                NULL::VARCHAR AS trace_state, 'GET /api/ü/' || (i % 40) AS name, 'SPAN_KIND_SERVER' AS kind,
                TIMESTAMP '2024-01-02' + to_microseconds(i * 1234567) AS timestamp,
                TIMESTAMP '2024-01-02' + to_microseconds(i * 1234567 + i) AS end_timestamp,
                (9007199254740993 + i * 1000)::BIGINT AS duration,
                'STATUS_CODE_OK' AS status_code, NULL::VARCHAR AS status_message,
                MAP {'service.name': 'checkout'} AS resource_attributes, 'io.opentelemetry' AS scope_name, NULL::VARCHAR AS scope_version,
                MAP {'http.route': '/r/' || (i % 7), 'emoji': '🧊'} AS span_attributes,
                CASE WHEN i % 3 = 0 THEN [] ELSE [{'timestamp': TIMESTAMP '2024-01-02' + to_microseconds(i), 'name': 'exception', 'attributes': MAP {'exception.message': 'boom ' || i}}] END AS events,
                CASE WHEN i % 4 = 0 THEN NULL ELSE [{'trace_id': md5((i + 1)::VARCHAR), 'span_id': 'abcdef0123456789', 'trace_state': NULL::VARCHAR, 'attributes': MAP {}::MAP(VARCHAR, VARCHAR)}] END AS links,
                TIMESTAMP '2024-01-02 23:00:00' AS ingested_timestamp
         FROM range(2000) t(i))
        """;

    // Data points of every kind in one file: doubles from tiny to huge, negative 64-bit integers
    // beyond 2^53, lists of counts and bounds, quantiles with a null value.
    private const string MetricRows = """
        (SELECT 'acme' AS tenant_id, 'checkout' AS service_name, 'http.server.duration' AS metric_name,
                ['gauge', 'sum', 'histogram', 'exponential_histogram', 'summary'][1 + (i % 5)::INTEGER] AS metric_type,
                'Duration of requests' AS description, 'ms' AS unit,
                TIMESTAMP '2024-01-02' + to_microseconds(i * 1000003) AS timestamp,
                CASE WHEN i % 2 = 0 THEN NULL ELSE TIMESTAMP '2024-01-02' END AS start_timestamp,
                MAP {'route': '/r/' || (i % 7)} AS attributes,
                CASE WHEN i % 5 = 0 THEN (i / 7 - 100)::DOUBLE END AS value_double,
                CASE WHEN i % 5 = 1 THEN (-9007199254740993 - i)::BIGINT END AS value_int,
                i % 5 = 1 AS is_monotonic, 2 AS aggregation_temporality,
                i::BIGINT AS count, (i * 0.1)::DOUBLE AS sum, 1e-300::DOUBLE AS min, 1e300::DOUBLE AS max,
                [i, 0, NULL]::BIGINT[] AS bucket_counts, [0.5, 1.25, 1e-9]::DOUBLE[] AS explicit_bounds,
                3 AS scale, 0::BIGINT AS zero_count, -2 AS positive_offset, [1, 2, 3]::BIGINT[] AS positive_bucket_counts,
                NULL::INTEGER AS negative_offset, NULL::BIGINT[] AS negative_bucket_counts,
                [{'quantile': 0.5::DOUBLE, 'value': (i / 3)::DOUBLE}, {'quantile': 0.99::DOUBLE, 'value': NULL::DOUBLE}] AS quantiles,
                MAP {'service.name': 'checkout'} AS resource_attributes, 'io.opentelemetry' AS scope_name, '1.0' AS scope_version,
                MAP {}::MAP(VARCHAR, VARCHAR) AS scope_attributes, TIMESTAMP '2024-01-02 23:00:00' AS ingested_timestamp, 0 AS flags
         FROM range(2000) t(i))
        """;
}
