using IceGate.Lakehouse.DuckDB;

namespace IceGate.Lakehouse.Tests.DuckDB;

public sealed class TypeRoundTripTests : IDisposable
{
    private readonly DuckDBConnection _connection = new();

    public TypeRoundTripTests() => _connection.Open();

    public void Dispose() => _connection.Dispose();

    public static TheoryData<string, object, string> Scalars => new()
    {
        { "true", true, "BOOLEAN" },
        { "(-8)::TINYINT", (sbyte)-8, "TINYINT" },
        { "(-16000)::SMALLINT", (short)-16000, "SMALLINT" },
        { "2000000000::INTEGER", 2_000_000_000, "INTEGER" },
        { "(-9000000000000000000)::BIGINT", -9_000_000_000_000_000_000L, "BIGINT" },
        { "250::UTINYINT", (byte)250, "UTINYINT" },
        { "65000::USMALLINT", (ushort)65000, "USMALLINT" },
        { "4000000000::UINTEGER", 4_000_000_000u, "UINTEGER" },
        { "18000000000000000000::UBIGINT", 18_000_000_000_000_000_000UL, "UBIGINT" },
        { "(-170141183460469231731687303715884105727)::HUGEINT", -Int128.MaxValue, "HUGEINT" },
        { "1.5::FLOAT", 1.5f, "FLOAT" },
        { "(-2.25)::DOUBLE", -2.25d, "DOUBLE" },
        { "'héllo wörld, a string longer than twelve bytes'", "héllo wörld, a string longer than twelve bytes", "VARCHAR" },
        { "'short'", "short", "VARCHAR" },
        { "DATE '2024-02-29'", new DateOnly(2024, 2, 29), "DATE" },
        { "TIME '13:45:30.123456'", new TimeOnly(13, 45, 30).Add(TimeSpan.FromTicks(1_234_560)), "TIME" },
        { "TIMESTAMP '2024-05-06 07:08:09.123456'", new DateTime(2024, 5, 6, 7, 8, 9).AddTicks(1_234_560), "TIMESTAMP" },
        { "TIMESTAMP_NS '2024-05-06 07:08:09.1234567'", new DateTime(2024, 5, 6, 7, 8, 9).AddTicks(1_234_567), "TIMESTAMP_NS" },
        { "TIMESTAMP_MS '2024-05-06 07:08:09.123'", new DateTime(2024, 5, 6, 7, 8, 9, 123), "TIMESTAMP_MS" },
        { "TIMESTAMP_S '2024-05-06 07:08:09'", new DateTime(2024, 5, 6, 7, 8, 9), "TIMESTAMP_S" },
        { "TIMESTAMPTZ '2024-05-06 07:08:09.5+00'", new DateTimeOffset(2024, 5, 6, 7, 8, 9, 500, TimeSpan.Zero), "TIMESTAMP WITH TIME ZONE" },
        { "'0b9a4c43-2f9e-4c1a-9f3e-8d2b7a6c5e41'::UUID", Guid.Parse("0b9a4c43-2f9e-4c1a-9f3e-8d2b7a6c5e41"), "UUID" },
        { "'ffffffff-0000-4000-8000-000000000001'::UUID", Guid.Parse("ffffffff-0000-4000-8000-000000000001"), "UUID" },
        { "123.456::DECIMAL(6,3)", 123.456m, "DECIMAL" },
        { "(-98765.4321)::DECIMAL(18,4)", -98765.4321m, "DECIMAL" },
        { "12345678901234567890.12345678::DECIMAL(38,8)", 12345678901234567890.12345678m, "DECIMAL" },
        { "1.10::DECIMAL(4,2)", 1.10m, "DECIMAL" },
    };

    [Theory]
    [MemberData(nameof(Scalars))]
    public void A_literal_reads_back_as_its_clr_value(string literal, object expected, string typeName)
    {
        using var reader = Query($"SELECT {literal} AS v");
        Assert.True(reader.Read());
        Assert.Equal(typeName, reader.GetDataTypeName(0));
        Assert.Equal(expected.GetType(), reader.GetFieldType(0));
        Assert.Equal(expected, reader.GetValue(0));
    }

    [Theory]
    [MemberData(nameof(Scalars))]
    public void A_parameter_binds_and_reads_back_unchanged(string literal, object expected, string typeName)
    {
        _ = literal;
        _ = typeName;
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT $v AS v, $v = $v AS same";
        command.Parameters.Add("v", expected);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        var value = reader.GetValue(0);

        // A DateTime parameter binds as TIMESTAMP, whose precision is one microsecond (10 ticks).
        Assert.Equal(expected is DateTime time ? new DateTime(time.Ticks - (time.Ticks % 10)) : expected, value);
        Assert.True(reader.GetBoolean(1));
    }

    [Fact]
    public void Blob_round_trips_inline_and_out_of_line()
    {
        byte[] small = [0, 1, 2, 255];
        var large = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT $small AS s, $large AS l, '\\xAA\\x00\\xBB'::BLOB AS literal";
        command.Parameters.Add("small", small);
        command.Parameters.Add("large", large);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("BLOB", reader.GetDataTypeName(0));
        Assert.Equal(small, (byte[])reader.GetValue(0));
        Assert.Equal(large, reader.GetFieldValue<byte[]>(1));
        Assert.Equal(new byte[] { 0xAA, 0x00, 0xBB }, reader.GetValue(2));
    }

    [Fact]
    public void List_map_struct_and_array_read_as_nested_clr_values()
    {
        using var reader = Query("""
            SELECT [1, NULL, 3] AS list,
                   MAP {'service.name': 'checkout', 'k8s.pod': NULL} AS map,
                   {'name': 'span', 'attrs': MAP {'a': 1}, 'ids': ['x', 'y']} AS struct,
                   [[1, 2], [], NULL] AS nested,
                   [1.5, 2.5]::DOUBLE[2] AS array,
                   []::INTEGER[] AS empty
            """);
        Assert.True(reader.Read());
        Assert.Equal(new List<object?> { 1, null, 3 }, reader.GetValue(0));
        var map = Assert.IsType<Dictionary<object, object?>>(reader.GetValue(1));
        Assert.Equal("checkout", map["service.name"]);
        Assert.Null(map["k8s.pod"]);
        var structValue = Assert.IsType<Dictionary<string, object?>>(reader.GetValue(2));
        Assert.Equal("span", structValue["name"]);
        Assert.Equal(1, Assert.IsType<Dictionary<object, object?>>(structValue["attrs"])["a"]);
        Assert.Equal(new List<object?> { "x", "y" }, structValue["ids"]);
        Assert.Equal(new List<object?> { new List<object?> { 1, 2 }, new List<object?>(), null }, reader.GetValue(3));
        Assert.Equal(new List<object?> { 1.5, 2.5 }, reader.GetValue(4));
        Assert.Equal(new List<object?>(), reader.GetValue(5));
    }

    [Fact]
    public void Enum_reads_as_its_label()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); SELECT 'happy'::mood";
        Assert.Equal("happy", command.ExecuteScalar());
    }

    [Fact]
    public void Null_literal_and_typed_nulls_read_as_dbnull()
    {
        using var reader = Query("SELECT NULL AS n, NULL::INTEGER AS i, NULL::VARCHAR AS s, NULL::INTEGER[] AS l");
        Assert.True(reader.Read());
        for (var i = 0; i < reader.FieldCount; i++)
        {
            Assert.True(reader.IsDBNull(i));
            Assert.Equal(DBNull.Value, reader.GetValue(i));
        }

        Assert.Null(reader.GetFieldValue<int?>(1));
        Assert.Null(reader.GetFieldValue<string?>(2));
        Assert.Throws<InvalidCastException>(() => reader.GetInt32(1));
    }

    [Fact]
    public void Nulls_are_placed_correctly_across_chunk_boundaries()
    {
        using var reader = Query("SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i END AS v, CASE WHEN i % 3 = 0 THEN NULL ELSE 'row ' || i END AS s FROM range(10000) t(i) ORDER BY i");
        var row = 0L;
        while (reader.Read())
        {
            Assert.Equal(row % 7 == 0, reader.IsDBNull(0));
            Assert.Equal(row % 3 == 0, reader.IsDBNull(1));
            if (row % 7 != 0)
            {
                Assert.Equal(row, reader.GetInt64(0));
            }

            if (row % 3 != 0)
            {
                Assert.Equal($"row {row}", reader.GetString(1));
            }

            row++;
        }

        Assert.Equal(10000, row);
    }

    [Fact]
    public void Numeric_columns_convert_to_a_requested_wider_type()
    {
        using var reader = Query("SELECT 7::INTEGER AS i, 2.5::FLOAT AS f");
        Assert.True(reader.Read());
        Assert.Equal(7L, reader.GetInt64(0));
        Assert.Equal(2.5, reader.GetDouble(1));
        Assert.Throws<InvalidCastException>(() => reader.GetFieldValue<Guid>(0));
    }

    private DuckDBDataReader Query(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteReader();
    }
}
