using Apache.Arrow;
using Apache.Arrow.Types;

namespace IceGate.QueryApi.FlightSql;

/// <summary>
/// The answer to <c>CommandGetSqlInfo</c>: one row per piece of server information, its value in
/// the dense union FlightSql.proto defines (string, bool, bigint, int32 bitmask, string list,
/// int32-to-int32-list map; IceGate uses the first four).
/// </summary>
internal static class SqlInfoBatch
{
    private const sbyte StringValue = 0;
    private const sbyte BoolValue = 1;
    private const sbyte BigintValue = 2;
    private const sbyte Int32Value = 3;

    private static readonly UnionType s_valueType = new(
        [
            new Field("string_value", StringType.Default, true),
            new Field("bool_value", BooleanType.Default, true),
            new Field("bigint_value", Int64Type.Default, true),
            new Field("int32_bitmask", Int32Type.Default, true),
            new Field("string_list", new ListType(new Field("string_data", StringType.Default, true)), true),
            new Field("int32_to_int32_list_map", new MapType(new Field("key", Int32Type.Default, false), new Field("value", new ListType(new Field("$data$", Int32Type.Default, true)), true)), true),
        ],
        [StringValue, BoolValue, BigintValue, Int32Value, 4, 5],
        UnionMode.Dense);

    private static Schema Schema { get; } = new([new Field("info_name", UInt32Type.Default, false), new Field("value", s_valueType, false)], null);

    /// <summary>What IceGate says about itself, by the SqlInfo codes of FlightSql.proto.</summary>
    public static IReadOnlyDictionary<uint, object> Values(string version) => new Dictionary<uint, object>
    {
        [0] = "IceGate", // FLIGHT_SQL_SERVER_NAME
        [1] = version, // FLIGHT_SQL_SERVER_VERSION
        [2] = typeof(Schema).Assembly.GetName().Version!.ToString(3), // FLIGHT_SQL_SERVER_ARROW_VERSION
        [3] = true, // FLIGHT_SQL_SERVER_READ_ONLY
        [4] = true, // FLIGHT_SQL_SERVER_SQL
        [5] = false, // FLIGHT_SQL_SERVER_SUBSTRAIT
        [8] = 0, // FLIGHT_SQL_SERVER_TRANSACTION: SQL_SUPPORTED_TRANSACTION_NONE
        [9] = false, // FLIGHT_SQL_SERVER_CANCEL
        [100] = 0, // FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT: handles carry their statement and never expire
        [500] = false, // SQL_DDL_CATALOG
        [501] = false, // SQL_DDL_SCHEMA
        [502] = false, // SQL_DDL_TABLE
        [503] = 1, // SQL_IDENTIFIER_CASE: SQL_CASE_SENSITIVITY_CASE_INSENSITIVE (DuckDB's)
        [504] = "\"", // SQL_IDENTIFIER_QUOTE_CHAR
        [505] = 1, // SQL_QUOTED_IDENTIFIER_CASE: case-insensitive too
        [506] = true, // SQL_ALL_TABLES_ARE_SELECTABLE
        [507] = 3, // SQL_NULL_ORDERING: SQL_NULLS_SORTED_AT_END (DuckDB sorts NULLs last both ways)
    };

    /// <summary>The rows for the <paramref name="requested"/> codes IceGate knows (all of them when none is named), in the order asked.</summary>
    public static RecordBatch Build(IReadOnlyDictionary<uint, object> values, IReadOnlyCollection<uint> requested)
    {
        var rows = (requested.Count == 0 ? values.Keys.Order() : requested.Where(values.ContainsKey)).ToList();
        var names = new UInt32Array.Builder();
        var typeIds = new ArrowBuffer.Builder<sbyte>();
        var offsets = new ArrowBuffer.Builder<int>();
        var strings = new StringArray.Builder();
        var bools = new BooleanArray.Builder();
        var bigints = new Int64Array.Builder();
        var ints = new Int32Array.Builder();
        foreach (var code in rows)
        {
            names.Append(code);
            var (typeId, offset) = values[code] switch
            {
                string s => (StringValue, Append(strings, b => b.Append(s))),
                bool b => (BoolValue, Append(bools, x => x.Append(b))),
                long l => (BigintValue, Append(bigints, x => x.Append(l))),
                int i => (Int32Value, Append(ints, x => x.Append(i))),
                var other => throw new InvalidOperationException($"SqlInfo {code} has a value of type {other.GetType().Name}."),
            };
            typeIds.Append(typeId);
            offsets.Append(offset);
        }

        IArrowArray[] children =
        [
            strings.Build(), bools.Build(), bigints.Build(), ints.Build(),
            EmptyList((ListType)s_valueType.Fields[4].DataType, new StringArray.Builder().Build()),
            EmptyMap((MapType)s_valueType.Fields[5].DataType),
        ];
        var value = new DenseUnionArray(s_valueType, rows.Count, children, typeIds.Build(), offsets.Build(), 0, 0);
        return new RecordBatch(Schema, [names.Build(), value], rows.Count);
    }

    /// <summary>Appends one value and returns its index in the child array.</summary>
    private static int Append<TBuilder>(TBuilder builder, Action<TBuilder> append)
        where TBuilder : IArrowArrayBuilder
    {
        var index = builder.Length;
        append(builder);
        return index;
    }

    private static ListArray EmptyList(ListType type, IArrowArray values) =>
        new(type, 0, new ArrowBuffer.Builder<int>().Append(0).Build(), values, ArrowBuffer.Empty, 0, 0);

    private static MapArray EmptyMap(MapType type)
    {
        var valueList = (ListType)type.ValueField.DataType;
        var entries = new StructArray(type.KeyValueType, 0, [new Int32Array.Builder().Build(), EmptyList(valueList, new Int32Array.Builder().Build())], ArrowBuffer.Empty, 0, 0);
        return new MapArray(type, 0, new ArrowBuffer.Builder<int>().Append(0).Build(), entries, ArrowBuffer.Empty, 0, 0);
    }
}
