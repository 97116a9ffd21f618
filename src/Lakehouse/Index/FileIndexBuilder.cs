using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Lakehouse.Index;

/// <summary>Builds a data file's index from the written file itself, with DuckDB: the distinct values of each indexed column.</summary>
public static class FileIndexBuilder
{
    /// <summary>The index of the Parquet file at <paramref name="localPath"/>, a data file of <paramref name="table"/>.</summary>
    public static FileIndex Build(DuckDBConnection connection, TableDefinition table, string localPath, IReadOnlyCollection<string> attributeKeys)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(attributeKeys);
        var file = $"read_parquet('{localPath.Replace("'", "''", StringComparison.Ordinal)}', hive_partitioning = false)";
        var filters = new Dictionary<string, BloomFilter>(StringComparer.Ordinal);
        foreach (var column in table.IndexedColumns)
        {
            filters[column] = Filter(connection, $"SELECT DISTINCT \"{column}\" FROM {file} WHERE \"{column}\" IS NOT NULL");
        }

        // One filter per configured key, empty where no row has it: a file without a key's filter
        // (indexed before the key was configured) is read, never pruned.
        var maps = table.Schema.Fields.Where(f => f.Type is MapType { Key: PrimitiveType { Name: "string" }, Value: PrimitiveType { Name: "string" } }).Select(f => f.Name).ToList();
        if (maps.Count > 0 && attributeKeys.Count > 0)
        {
            var keys = string.Join(", ", attributeKeys.Select(k => $"'{k.Replace("'", "''", StringComparison.Ordinal)}'"));
            var pairs = string.Join(" UNION ", maps.Select(m => $"SELECT unnest(map_keys(\"{m}\")) AS k, unnest(map_values(\"{m}\")) AS v FROM {file}"));
            var values = attributeKeys.Distinct(StringComparer.Ordinal).ToDictionary(k => k, _ => new List<ulong>(), StringComparer.Ordinal);
            using var command = new DuckDBCommand($"SELECT DISTINCT k, v FROM ({pairs}) WHERE k IN ({keys}) AND v IS NOT NULL", connection);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                values[reader.GetString(0)].Add(BloomFilter.Hash(reader.GetString(1)));
            }

            foreach (var (key, hashes) in values)
            {
                filters[FileIndex.AttributeFilter(key)] = BloomFilter.Build(hashes);
            }
        }

        return new FileIndex(filters);
    }

    private static BloomFilter Filter(DuckDBConnection connection, string sql)
    {
        using var command = new DuckDBCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var hashes = new List<ulong>();
        while (reader.Read())
        {
            hashes.Add(BloomFilter.Hash(reader.GetString(0)));
        }

        return BloomFilter.Build(hashes);
    }
}
