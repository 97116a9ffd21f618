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
}
