using IceGate.Lakehouse.DuckDB;

namespace IceGate.Server.Tests;

/// <summary>Reads WAL segments back with DuckDB, as the query side will.</summary>
internal static class WalContents
{
    /// <summary>Runs a query over every segment of a signal as the table <c>wal</c>.</summary>
    public static List<object?[]> Query(string walDirectory, string select)
    {
        var rows = new List<object?[]>();
        if (!Directory.Exists(walDirectory) || Directory.GetFiles(walDirectory, "*.parquet").Length == 0)
        {
            return rows;
        }

        using var connection = new DuckDBConnection();
        connection.Open();
        using var command = new DuckDBCommand($"WITH wal AS (SELECT * FROM read_parquet('{walDirectory}/*.parquet')) {select}", connection);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}
