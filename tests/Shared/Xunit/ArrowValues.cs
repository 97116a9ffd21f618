using System.Globalization;
using System.Text.Json.Nodes;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Tests;

/// <summary>Compares a value as DuckDB gives it in JSON with the same value as an Arrow reader gives it (arrow_rows.mjs), by its Iceberg type.</summary>
internal static class ArrowValues
{
    /// <summary>Numbers by value, timestamps in µs (JSON has ISO 8601, Arrow integers), 64-bit integers exactly, nested values field by field.</summary>
    public static void AssertSame(IcebergType type, JsonNode? duckdb, JsonNode? arrow, string where)
    {
        if (duckdb is null || arrow is null)
        {
            Assert.True(duckdb is null && arrow is null, $"{where}: DuckDB read {duckdb?.ToJsonString() ?? "null"}, the Arrow reader {arrow?.ToJsonString() ?? "null"}");
            return;
        }

        switch (type)
        {
            case StructType structure:
                Assert.Equal(structure.Fields.Count, arrow.AsObject().Count);
                foreach (var field in structure.Fields)
                {
                    AssertSame(field.Type, duckdb[field.Name], arrow[field.Name], $"{where}.{field.Name}");
                }

                break;
            case ListType list:
                Assert.True(duckdb.AsArray().Count == arrow.AsArray().Count, $"{where}: {duckdb.ToJsonString()} vs {arrow.ToJsonString()}");
                for (var i = 0; i < duckdb.AsArray().Count; i++)
                {
                    AssertSame(list.Element, duckdb[i], arrow[i], $"{where}[{i}]");
                }

                break;
            case MapType map:
                Assert.Equal(duckdb.AsObject().Select(e => e.Key), arrow.AsObject().Select(e => e.Key));
                foreach (var (key, value) in duckdb.AsObject())
                {
                    AssertSame(map.Value, value, arrow[key], $"{where}[{key}]");
                }

                break;
            default:
                (object Expected, object Actual) values = type switch
                {
                    _ when type == PrimitiveType.Timestamp => ((DateTime.Parse(duckdb.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Ticks - DateTime.UnixEpoch.Ticks) / 10, long.Parse(arrow.GetValue<string>(), CultureInfo.InvariantCulture)),
                    _ when type == PrimitiveType.Long => (duckdb.GetValue<long>(), long.Parse(arrow.GetValue<string>(), CultureInfo.InvariantCulture)),
                    _ when type == PrimitiveType.Double => (duckdb.GetValue<double>(), arrow.GetValue<double>()),
                    _ => (duckdb.ToJsonString(), arrow.ToJsonString()),
                };
                Assert.True(values.Expected.Equals(values.Actual), $"{where}: DuckDB read {values.Expected}, the Arrow reader {values.Actual}");
                break;
        }
    }
}
