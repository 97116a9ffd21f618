using IceGate.Lakehouse.DuckDB;

namespace IceGate.QueryApi;

/// <summary>
/// Where each top-level column's bytes lie in a Parquet file: every row group's column chunk
/// (from its dictionary page, if any, through its data pages) and its Bloom filter, as the footer
/// records them. DuckDB reads the footer (<c>parquet_metadata</c>), so a file whose only bytes are
/// its footer is enough.
/// </summary>
internal static class ParquetColumnChunks
{
    /// <summary>The byte ranges (offset, length) of each top-level column of the file at <paramref name="path"/>.</summary>
    public static Dictionary<string, List<(long Offset, long Length)>> Read(DuckDBConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT path_in_schema, coalesce(least(dictionary_page_offset, data_page_offset), data_page_offset), "
            + "total_compressed_size, bloom_filter_offset, bloom_filter_length FROM parquet_metadata($path)";
        command.Parameters.Add(new DuckDBParameter("path", path));
        using var reader = command.ExecuteReader();
        var chunks = new Dictionary<string, List<(long, long)>>(StringComparer.Ordinal);
        while (reader.Read())
        {
            // A nested column's leaves are named "map, key_value, key": the top-level column is the first part.
            var column = reader.GetString(0).Split(',')[0].Trim();
            if (!chunks.TryGetValue(column, out var ranges))
            {
                chunks[column] = ranges = [];
            }

            ranges.Add((reader.GetInt64(1), reader.GetInt64(2)));
            if (!reader.IsDBNull(3) && !reader.IsDBNull(4) && reader.GetInt64(4) > 0)
            {
                ranges.Add((reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        return chunks;
    }

    /// <summary>Ranges sorted and merged where they touch or overlap, so that each becomes one ranged read.</summary>
    public static List<(long Offset, long Length)> Merge(IEnumerable<(long Offset, long Length)> ranges)
    {
        var merged = new List<(long Offset, long Length)>();
        foreach (var (offset, length) in ranges.Where(r => r.Length > 0).OrderBy(r => r.Offset))
        {
            if (merged.Count > 0 && offset <= merged[^1].Offset + merged[^1].Length)
            {
                var last = merged[^1];
                merged[^1] = (last.Offset, Math.Max(last.Offset + last.Length, offset + length) - last.Offset);
            }
            else
            {
                merged.Add((offset, length));
            }
        }

        return merged;
    }
}
