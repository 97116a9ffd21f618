using System.Text;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.Lakehouse.Tests.DuckDB;

public sealed class AppenderTests : IDisposable
{
    private readonly DuckDBConnection _connection = new();

    public AppenderTests() => _connection.Open();

    public void Dispose() => _connection.Dispose();

    [Fact]
    public void Rows_of_every_appendable_type_round_trip_across_several_chunks_with_nulls()
    {
        Execute("""
            CREATE TABLE every_type (
                b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INTEGER, i64 BIGINT, u64 UBIGINT, h HUGEINT,
                f FLOAT, d DOUBLE, dec DECIMAL(12, 3), s VARCHAR, raw BLOB, day DATE,
                ts TIMESTAMP, ts_ns TIMESTAMP_NS, ts_ms TIMESTAMP_MS, tz TIMESTAMPTZ, id UUID)
            """);
        const int rows = 5000;
        var start = new DateTime(2024, 3, 1, 12, 0, 0);
        using (var appender = _connection.CreateAppender("every_type"))
        {
            for (var i = 0; i < rows; i++)
            {
                if (i % 11 == 0)
                {
                    for (var c = 0; c < appender.ColumnCount; c++)
                    {
                        appender.AppendNull();
                    }
                }
                else
                {
                    appender.Append(i % 2 == 0).Append(i % 100).Append(-i).Append(i * 1000).Append(i * 1_000_000_000L)
                        .Append(ulong.MaxValue - (ulong)i).Append((long)i).Append(i / 4.0).Append(i / 8.0).Append(i + 0.125m)
                        .Append(i % 3 == 0 ? $"short{i % 10}" : $"a longer string for row {i} that is stored out of line")
                        .AppendBlob(BitConverter.GetBytes(i)).Append(DateOnly.FromDateTime(start).AddDays(i))
                        .Append(start.AddTicks(i * 10L)).Append(start.AddTicks(i)).Append(start.AddMilliseconds(i))
                        .Append(new DateTimeOffset(start.AddSeconds(i), TimeSpan.Zero)).Append(Id(i));
                }

                appender.EndRow();
            }
        }

        using var command = new DuckDBCommand("SELECT * FROM every_type", _connection);
        using var reader = command.ExecuteReader();
        var seen = 0;
        while (reader.Read())
        {
            var i = seen++;
            if (i % 11 == 0)
            {
                Assert.All(Enumerable.Range(0, reader.FieldCount), c => Assert.True(reader.IsDBNull(c)));
                continue;
            }

            Assert.Equal(i % 2 == 0, reader.GetBoolean(0));
            Assert.Equal((sbyte)(i % 100), reader.GetFieldValue<sbyte>(1));
            Assert.Equal((short)-i, reader.GetInt16(2));
            Assert.Equal(i * 1000, reader.GetInt32(3));
            Assert.Equal(i * 1_000_000_000L, reader.GetInt64(4));
            Assert.Equal(ulong.MaxValue - (ulong)i, reader.GetFieldValue<ulong>(5));
            Assert.Equal((Int128)i, reader.GetFieldValue<Int128>(6));
            Assert.Equal(i / 4.0f, reader.GetFloat(7));
            Assert.Equal(i / 8.0, reader.GetDouble(8));
            Assert.Equal(i + 0.125m, reader.GetDecimal(9));
            Assert.Equal(i % 3 == 0 ? $"short{i % 10}" : $"a longer string for row {i} that is stored out of line", reader.GetString(10));
            Assert.Equal(BitConverter.GetBytes(i), reader.GetFieldValue<byte[]>(11));
            Assert.Equal(DateOnly.FromDateTime(start).AddDays(i), reader.GetFieldValue<DateOnly>(12));
            Assert.Equal(start.AddTicks(i * 10L), reader.GetDateTime(13));
            Assert.Equal(start.AddTicks(i - (i % 1)), reader.GetDateTime(14));
            Assert.Equal(start.AddMilliseconds(i), reader.GetDateTime(15));
            Assert.Equal(new DateTimeOffset(start.AddSeconds(i), TimeSpan.Zero), reader.GetFieldValue<DateTimeOffset>(16));
            Assert.Equal(Id(i), reader.GetGuid(17));
        }

        Assert.Equal(rows, seen);
    }

    [Fact]
    public void Utf8_bytes_append_without_decoding_and_invalid_utf8_is_rejected()
    {
        Execute("CREATE TABLE lines (line VARCHAR)");
        using (var appender = _connection.CreateAppender("lines"))
        {
            appender.AppendUtf8("grüße aus köln, long enough to be out of line"u8).EndRow();
            Assert.Throws<ArgumentException>(() => appender.AppendUtf8([0xC3, 0x28]));
            appender.AppendUtf8("ok"u8).EndRow();
        }

        Assert.Equal(["grüße aus köln, long enough to be out of line", "ok"], Strings("SELECT line FROM lines ORDER BY length(line) DESC"));
    }

    [Fact]
    public void String_maps_round_trip_across_chunks_with_empty_null_and_long_entries()
    {
        Execute("CREATE TABLE attributed (id INTEGER, attributes MAP(VARCHAR, VARCHAR))");
        const int rows = 5000;
        using (var appender = _connection.CreateAppender("attributed"))
        {
            for (var i = 0; i < rows; i++)
            {
                appender.Append(i);
                if (i % 13 == 0)
                {
                    appender.AppendNull();
                }
                else
                {
                    appender.BeginMap();
                    for (var k = 0; k < i % 4; k++)
                    {
                        appender.AppendMapEntry(Encoding.UTF8.GetBytes($"key.{k}"), Encoding.UTF8.GetBytes(k == 2 ? $"a value long enough to live out of line, row {i}" : $"v{i}"));
                    }

                    appender.EndMap();
                }

                appender.EndRow();
            }
        }

        using var command = new DuckDBCommand("SELECT id, attributes FROM attributed ORDER BY id", _connection);
        using var reader = command.ExecuteReader();
        var seen = 0;
        while (reader.Read())
        {
            var i = seen++;
            Assert.Equal(i, reader.GetInt32(0));
            if (i % 13 == 0)
            {
                Assert.True(reader.IsDBNull(1));
                continue;
            }

            var map = (Dictionary<object, object?>)reader.GetValue(1);
            Assert.Equal(i % 4, map.Count);
            for (var k = 0; k < i % 4; k++)
            {
                Assert.Equal(k == 2 ? $"a value long enough to live out of line, row {i}" : $"v{i}", map[$"key.{k}"]);
            }
        }

        Assert.Equal(rows, seen);
    }

    [Fact]
    public void Map_misuse_is_reported()
    {
        Execute("CREATE TABLE m (attributes MAP(VARCHAR, VARCHAR), counts MAP(VARCHAR, INTEGER))");
        using var appender = _connection.CreateAppender("m");
        Assert.Throws<InvalidOperationException>(() => appender.AppendMapEntry("k"u8, "v"u8));
        Assert.Throws<InvalidOperationException>(() => appender.EndMap());
        appender.BeginMap();
        Assert.Throws<ArgumentException>(() => appender.AppendMapEntry([0xC3, 0x28], "v"u8));
        appender.AppendMapEntry("k"u8, "v"u8).EndMap();
        Assert.Throws<NotSupportedException>(() => appender.BeginMap());
        appender.AppendNull().EndRow();
        appender.Append(new Dictionary<string, string> { ["a"] = "b" }).AppendNull().EndRow();
        appender.Close();
        Assert.Equal(["k=v", "a=b"], Strings("SELECT map_keys(attributes)[1] || '=' || map_values(attributes)[1] FROM m"));
    }

    [Fact]
    public void Rows_are_invisible_until_flushed()
    {
        Execute("CREATE TABLE t (x INTEGER)");
        using var appender = _connection.CreateAppender("t");
        appender.Append(1).EndRow();
        Assert.Equal(0L, Count("t"));
        appender.Flush();
        Assert.Equal(1L, Count("t"));
    }

    [Fact]
    public void A_constraint_violation_surfaces_at_flush_with_duckdbs_error()
    {
        Execute("CREATE TABLE t (x INTEGER NOT NULL)");
        var appender = _connection.CreateAppender("t");
        appender.AppendNull().EndRow();
        var error = Assert.Throws<DuckDBException>(appender.Close);
        Assert.Equal(DuckDBErrorType.Constraint, error.ErrorType);
        appender.Dispose();
        Assert.Equal(0L, Count("t"));
    }

    [Fact]
    public void Misuse_is_reported_without_corrupting_the_next_row()
    {
        Execute("CREATE TABLE t (x INTEGER, s VARCHAR)");
        using (var appender = _connection.CreateAppender("t"))
        {
            Assert.Throws<ArgumentException>(() => appender.Append("not an integer"));
            Assert.Throws<OverflowException>(() => appender.Append(long.MaxValue));
            appender.AppendNull();
            Assert.Throws<InvalidOperationException>(appender.EndRow);
            appender.Append(2).Append("two");
            Assert.Throws<InvalidOperationException>(() => appender.Append("three"));
            appender.EndRow();
        }

        Assert.Equal(["2:two"], Strings("SELECT x || ':' || s FROM t"));
    }

    private static Guid Id(int i) => new(i, (short)i, (short)(i >> 16), 1, 2, 3, 4, 5, 6, 7, (byte)i);

    private void Execute(string sql)
    {
        using var command = new DuckDBCommand(sql, _connection);
        command.ExecuteNonQuery();
    }

    private long Count(string table)
    {
        using var command = new DuckDBCommand($"SELECT count(*) FROM {table}", _connection);
        return (long)command.ExecuteScalar()!;
    }

    private List<string> Strings(string sql)
    {
        using var command = new DuckDBCommand(sql, _connection);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
