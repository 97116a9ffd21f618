using System.Globalization;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;

namespace IceGate.Ingest.Shift;

/// <summary>
/// Does one shift task: fetches its WAL segments, writes their rows as one sorted Parquet data file
/// per partition (tenant and day) with DuckDB, uploads the files create-only under names unique to
/// the attempt, and records them in a manifest that the plan's commit reads. An attempt that dies
/// midway leaves only unreferenced files, which orphan collection removes.
/// </summary>
internal sealed class SegmentShifter(IObjectStore store, ShiftOptions options, IndexOptions index, TableDefinition definition)
{
    // Iceberg's day transform: whole days since 1970-01-01, rounding down (also before 1970).
    private const string DayOf = "CAST(CAST(\"timestamp\" AS DATE) - DATE '1970-01-01' AS BIGINT)";

    /// <summary>Runs the task and returns the key of the manifest listing its data files.</summary>
    public async Task<string> ShiftAsync(TableMetadata table, ShiftPlan plan, ShiftTask task, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateDirectory(Path.Combine(options.ScratchDirectory, $"{plan.Id}-{task.Index}-{task.Attempts}-{Guid.NewGuid():N}")).FullName;
        try
        {
            var inputs = new List<string>();
            foreach (var key in task.Segments)
            {
                var segment = await store.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"WAL segment {key} of plan {plan.Id} is gone; was it deleted before its commit?");
                var path = Path.Combine(scratch, $"in-{inputs.Count}.parquet");
                await File.WriteAllBytesAsync(path, segment.Content.ToArray(), cancellationToken).ConfigureAwait(false);
                inputs.Add(path);
            }

            var files = new List<DataFile>();
            foreach (var (file, localPath, fileIndex) in WriteDataFiles(table, inputs, scratch, $"{plan.Id}-{task.Index}-{task.Attempts}"))
            {
                await DataFileUpload.PutAsync(store, file, localPath, fileIndex, cancellationToken).ConfigureAwait(false);
                files.Add(file);
            }

            var manifest = store.KeyOf($"{table.Location}/metadata/shift-{plan.Id}-{task.Index}-{task.Attempts}.avro");
            var entries = files.Select(f => new ManifestEntry(ManifestEntryStatus.Added, null, null, null, f)).ToList();
            await store.PutAsync(manifest, ManifestCodec.WriteManifest(table.CurrentSchema, table.DefaultSpec, entries), PutCondition.IfNoneMatch, cancellationToken).ConfigureAwait(false);
            return manifest;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The data files of a committed plan's tasks.</summary>
    public async Task<List<DataFile>> ReadManifestsAsync(ShiftPlan plan, CancellationToken cancellationToken)
    {
        var files = new List<DataFile>();
        foreach (var task in plan.Tasks)
        {
            var manifest = await store.GetAsync(task.Manifest!, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The manifest {task.Manifest} of plan {plan.Id} is gone.");
            files.AddRange(ManifestCodec.ReadManifest(manifest.Content).Select(e => e.File));
        }

        return files;
    }

    /// <summary>One file per partition present in the segments, each sorted by the table's sort order, with its index.</summary>
    private List<(DataFile File, string LocalPath, FileIndex? Index)> WriteDataFiles(TableMetadata table, List<string> inputs, string scratch, string name)
    {
        using var duck = new DuckDBConnection(options.DuckDBConnectionString);
        duck.Open();
        var list = string.Join(", ", inputs.Select(Literal));
        Execute(duck, $"CREATE VIEW wal AS SELECT * FROM read_parquet([{list}])");

        var partitions = new List<(string Tenant, long Day)>();
        using (var command = new DuckDBCommand($"SELECT DISTINCT tenant_id, {DayOf} FROM wal ORDER BY 1, 2", duck))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                partitions.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var written = new List<(DataFile, string, FileIndex?)>();
        foreach (var (tenant, day) in partitions)
        {
            var source = $"(SELECT * FROM wal WHERE tenant_id = {Literal(tenant)} AND {DayOf} = {day.ToString(CultureInfo.InvariantCulture)})";
            var localPath = Path.Combine(scratch, $"out-{written.Count}.parquet");
            var uri = TableMaintainer.DataFileUri(table, tenant, day, $"{name}-{written.Count}");
            if (ParquetDataFileWriter.Write(duck, table, source, localPath, uri) is { } file)
            {
                written.Add((file, localPath, DataFileUpload.Index(duck, definition, localPath, index)));
            }
        }

        return written;
    }

    private static string Literal(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";

    private static void Execute(DuckDBConnection duck, string sql)
    {
        using var command = new DuckDBCommand(sql, duck);
        command.ExecuteNonQuery();
    }
}
