using IceGate.Lakehouse.Iceberg;

namespace IceGate.Ingest.Wal;

/// <summary>
/// How a signal's decoded rows become a WAL segment in the table's exact schema: the columns of the
/// staging table batches append to, and the projection from it to the table's columns. Nested
/// columns the appender does not write (lists of structs, lists of numbers) are staged as compact
/// JSON and converted by DuckDB's <c>from_json</c> in the projection.
/// </summary>
/// <param name="StagingColumns">Column definitions of the staging table.</param>
/// <param name="Projection">A SELECT list over the staging table producing the table's columns in order.</param>
public sealed record SegmentLayout(string StagingColumns, string Projection)
{
    /// <summary>Rows appended in the table's own columns.</summary>
    public static SegmentLayout Identity(TableDefinition table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new SegmentLayout(table.Schema.DuckDBColumns(), "*");
    }

    /// <summary>
    /// The table's columns, with <paramref name="jsonColumns"/> staged as VARCHAR holding JSON and
    /// converted by the given SQL expressions (which read the staged column by its own name).
    /// </summary>
    public static SegmentLayout WithJsonColumns(TableDefinition table, IReadOnlyDictionary<string, string> jsonColumns)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(jsonColumns);
        var staging = table.Schema.Fields.Select(f => $"\"{f.Name}\" {(jsonColumns.ContainsKey(f.Name) ? "VARCHAR" : f.Type.DuckDBType)}");
        var projection = table.Schema.Fields.Select(f => jsonColumns.TryGetValue(f.Name, out var convert) ? $"({convert})::{f.Type.DuckDBType} AS \"{f.Name}\"" : $"\"{f.Name}\"");
        return new SegmentLayout(string.Join(", ", staging), string.Join(", ", projection));
    }
}
