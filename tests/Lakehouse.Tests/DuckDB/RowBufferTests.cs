using System.Globalization;
using System.Text;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.Lakehouse.Tests.DuckDB;

public sealed class RowBufferTests : IDisposable
{
    private readonly DuckDBConnection _connection = new();
    private readonly string _scratch = Directory.CreateTempSubdirectory("icegate-rowbuffer-").FullName;

    public RowBufferTests()
    {
        _connection.Open();
        Execute("CREATE TABLE template (id BIGINT, line VARCHAR, attributes MAP(VARCHAR, VARCHAR), seen_at TIMESTAMP)");
    }

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public void Rows_across_several_chunks_read_back_in_place_with_nulls_long_text_and_maps()
    {
        const int rows = 5000;
        using var buffer = _connection.CreateRowBuffer("template");
        Fill(buffer, rows);

        var source = buffer.ToTableExpression();
        Assert.Equal(rows, Scalar($"SELECT count(*) FROM {source}"));
        Assert.Equal(rows / 7 + 1, Scalar($"SELECT count(*) FROM {source} WHERE line IS NULL"));
        Assert.Equal(Enumerable.Range(0, rows).Sum(i => (long)i), Scalar($"SELECT sum(id)::BIGINT FROM {source}"));
        Assert.Equal(Expected(4323), Text($"SELECT line || '|' || coalesce(attributes['key.2'], '-') || '|' || CAST(seen_at AS VARCHAR) FROM {source} WHERE id = 4323"));
        Assert.Equal(rows * 2, Scalar($"SELECT count(*) FROM (SELECT id FROM {source} UNION ALL SELECT id FROM {source})"));
    }

    [Fact]
    public void A_copy_to_parquet_holds_exactly_the_rows_a_table_would()
    {
        const int rows = 3000;
        using (var appender = _connection.CreateAppender("template"))
        {
            Fill(appender, rows);
        }

        using var buffer = _connection.CreateRowBuffer("template");
        Fill(buffer, rows);
        var path = Path.Combine(_scratch, "rows.parquet");
        Execute($"COPY (SELECT * FROM {buffer.ToTableExpression()}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)");

        Assert.Equal(0, Scalar($"SELECT count(*) FROM (SELECT * FROM template EXCEPT ALL SELECT * FROM '{path}')"));
        Assert.Equal(0, Scalar($"SELECT count(*) FROM (SELECT * FROM '{path}' EXCEPT ALL SELECT * FROM template)"));
        Assert.Equal(rows, Scalar($"SELECT count(*) FROM '{path}'"));
    }

    [Fact]
    public void Rows_written_after_a_scan_are_seen_by_the_next_one_and_an_unfinished_row_is_not()
    {
        using var buffer = _connection.CreateRowBuffer("template");
        Fill(buffer, 10);
        Assert.Equal(10, Scalar($"SELECT count(*) FROM {buffer.ToTableExpression()}"));

        Fill(buffer, 5);
        buffer.Append(99L).AppendUtf8("half a row"u8);
        Assert.Equal(15, Scalar($"SELECT count(*) FROM {buffer.ToTableExpression()}"));
        Assert.Equal(0, Scalar($"SELECT count(*) FROM {buffer.ToTableExpression()} WHERE id = 99"));
    }

    [Fact]
    public void Scanning_a_released_or_unknown_buffer_is_an_error_not_a_crash()
    {
        var buffer = _connection.CreateRowBuffer("template");
        Fill(buffer, 3);
        var source = buffer.ToTableExpression();
        buffer.Dispose();

        Assert.Contains("No row buffer", Assert.Throws<DuckDBException>(() => Scalar($"SELECT count(*) FROM {source}")).Message, StringComparison.Ordinal);
        Assert.Contains("No row buffer", Assert.Throws<DuckDBException>(() => Scalar("SELECT count(*) FROM icegate_rows(-5)")).Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(buffer.ToTableExpression);
        Assert.Equal(DuckDBErrorType.Catalog, Assert.Throws<DuckDBException>(() => _connection.CreateRowBuffer("no_such_table")).ErrorType);
    }

    [Fact]
    public void Another_connection_to_the_same_database_sees_the_scan_function()
    {
        var path = Path.Combine(_scratch, "shared.duckdb");
        using var first = new DuckDBConnection($"Data Source={path}");
        using var second = new DuckDBConnection($"Data Source={path}");
        first.Open();
        second.Open();
        using (var create = new DuckDBCommand("CREATE TABLE t (id BIGINT)", first))
        {
            create.ExecuteNonQuery();
        }

        using var fromFirst = first.CreateRowBuffer("t");
        using var fromSecond = second.CreateRowBuffer("t");
        fromSecond.Append(7L).EndRow();
        using var query = new DuckDBCommand($"SELECT sum(id)::BIGINT FROM {fromSecond.ToTableExpression()}", first);
        Assert.Equal(7L, Convert.ToInt64(query.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    private static string Expected(int i) => $"line {i}: long enough to be stored out of line|{(i % 4 == 3 ? $"a value long enough to live out of line, row {i}" : "-")}|{new DateTime(2024, 3, 1).AddSeconds(i):yyyy-MM-dd HH:mm:ss}";

    private static void Fill(DuckDBRowWriter writer, int rows)
    {
        for (var i = 0; i < rows; i++)
        {
            writer.Append((long)i);
            if (i % 7 == 0)
            {
                writer.AppendNull();
            }
            else
            {
                writer.Append($"line {i}: long enough to be stored out of line");
            }

            writer.BeginMap(i % 4);
            for (var k = 0; k < i % 4; k++)
            {
                writer.AppendMapEntry(Encoding.UTF8.GetBytes($"key.{k}"), Encoding.UTF8.GetBytes(k == 2 ? $"a value long enough to live out of line, row {i}" : $"v{i}"));
            }

            writer.EndMap();
            writer.Append(new DateTime(2024, 3, 1).AddSeconds(i));
            writer.EndRow();
        }
    }

    private void Execute(string sql)
    {
        using var command = new DuckDBCommand(sql, _connection);
        command.ExecuteNonQuery();
    }

    private long Scalar(string sql)
    {
        using var command = new DuckDBCommand(sql, _connection);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private string Text(string sql)
    {
        using var command = new DuckDBCommand(sql, _connection);
        return (string)command.ExecuteScalar()!;
    }
}
