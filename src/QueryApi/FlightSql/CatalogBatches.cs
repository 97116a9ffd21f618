using Apache.Arrow;
using Apache.Arrow.Types;
using IceGate.QueryApi.FlightSql.Protocol;

namespace IceGate.QueryApi.FlightSql;

/// <summary>
/// The answers to Flight SQL's catalog commands, in the schemas FlightSql.proto gives them. A
/// tenant sees one database whose tables (<c>logs</c>, <c>spans</c>, <c>metrics</c>) have no
/// catalog and no schema: statements name them unqualified, so that is how they are listed.
/// </summary>
internal static class CatalogBatches
{
    public const string TableType = "TABLE";

    private static Schema CatalogsSchema { get; } = new([new Field("catalog_name", StringType.Default, nullable: false)], null);

    private static Schema DbSchemasSchema { get; } = new([new Field("catalog_name", StringType.Default, nullable: true), new Field("db_schema_name", StringType.Default, nullable: false)], null);

    private static Schema TableTypesSchema { get; } = new([new Field("table_type", StringType.Default, nullable: false)], null);

    private static Schema TablesSchema(bool includeSchema) => new(
        [
            new Field("catalog_name", StringType.Default, nullable: true),
            new Field("db_schema_name", StringType.Default, nullable: true),
            new Field("table_name", StringType.Default, nullable: false),
            new Field("table_type", StringType.Default, nullable: false),
            .. includeSchema ? [new Field("table_schema", BinaryType.Default, nullable: false)] : System.Array.Empty<Field>(),
        ],
        null);

    public static RecordBatch Catalogs() => new(CatalogsSchema, [Strings([])], 0);

    public static RecordBatch DbSchemas() => new(DbSchemasSchema, [Strings([]), Strings([])], 0);

    public static RecordBatch TableTypes() => new(TableTypesSchema, [Strings([TableType])], 1);

    /// <summary>The table names <paramref name="command"/>'s filters select, in order.</summary>
    public static IReadOnlyList<string> TableNames(CommandGetTables command, IEnumerable<string> tables)
    {
        // The tables have no catalog and no schema: only an empty name (or a pattern matching one) selects them.
        if (command.HasCatalog && command.Catalog.Length > 0
            || command.HasDbSchemaFilterPattern && !Like(command.DbSchemaFilterPattern, string.Empty)
            || command.TableTypes.Count > 0 && !command.TableTypes.Contains(TableType, StringComparer.OrdinalIgnoreCase))
        {
            return [];
        }

        var names = tables.Order(StringComparer.Ordinal);
        return command.HasTableNameFilterPattern ? [.. names.Where(name => Like(command.TableNameFilterPattern, name))] : [.. names];
    }

    /// <summary>The tables' rows; <paramref name="schemas"/> (IPC-serialized, one per name) when the command asked for them.</summary>
    public static RecordBatch Tables(IReadOnlyList<string> names, IReadOnlyList<byte[]>? schemas)
    {
        var nulls = new StringArray.Builder();
        foreach (var _ in names)
        {
            nulls.AppendNull();
        }

        List<IArrowArray> columns = [nulls.Build(), nulls.Build(), Strings(names), Strings([.. names.Select(_ => TableType)])];
        if (schemas is not null)
        {
            columns.Add(new BinaryArray.Builder().AppendRange(schemas).Build());
        }

        return new RecordBatch(TablesSchema(schemas is not null), columns, names.Count);
    }

    private static StringArray Strings(IReadOnlyList<string> values) => new StringArray.Builder().AppendRange(values).Build();

    /// <summary>
    /// Whether <paramref name="text"/> matches a Flight SQL filter pattern (SQL LIKE: <c>%</c> any
    /// run, <c>_</c> any one character): the greedy two-pointer match, which returns to the last
    /// <c>%</c> on a mismatch, so it takes time proportional to the pattern times the (short) name.
    /// </summary>
    internal static bool Like(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '_' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '%')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '%')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
