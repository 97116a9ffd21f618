namespace IceGate.QueryApi;

/// <summary>The formats results come in.</summary>
public enum ResultFormat
{
    /// <summary><c>{"columns":[…],"rows":[[…]],"truncated":…,"stats":{…}}</c>.</summary>
    Json,

    /// <summary>One JSON object per row and line.</summary>
    Ndjson,

    /// <summary>RFC 4180 CSV with a header line.</summary>
    Csv,

    /// <summary>A Parquet file.</summary>
    Parquet,

    /// <summary>A JSON array of objects, one per row: the shape Grafana's Infinity and JSON API data sources read best.</summary>
    Objects,

    /// <summary>An Arrow IPC stream: typed columns (maps, lists, structs) for pandas, polars and pyarrow.</summary>
    Arrow,
}

/// <summary>One tenant's SQL query, as the API received it.</summary>
/// <param name="Sql">One SELECT statement over <c>logs</c>, <c>spans</c> and <c>metrics</c>.</param>
/// <param name="Tenant">The tenant whose rows the tables show.</param>
/// <param name="FromMicros">If set, the tables show only rows at or after this time (µs).</param>
/// <param name="ToMicros">If set, the tables show only rows before this time (µs).</param>
/// <param name="Limit">The most rows returned.</param>
/// <param name="Format">The result format.</param>
/// <param name="SnapshotId">Read this snapshot of each table instead of the current one.</param>
/// <param name="AsOfMs">Read the snapshots current at this time (Unix ms) instead of the current ones.</param>
/// <param name="Prune">Whether files are pruned by the query's predicates (off only to check that pruning changes nothing).</param>
public sealed record SqlQuery(string Sql, string Tenant, long? FromMicros, long? ToMicros, int Limit, ResultFormat Format, long? SnapshotId = null, long? AsOfMs = null, bool Prune = true)
{
    /// <summary>The statement as a parenthesized subquery; the line breaks end any trailing comment.</summary>
    internal string Subquery => $"(\n{Sql.TrimEnd().TrimEnd(';')}\n)";
}
