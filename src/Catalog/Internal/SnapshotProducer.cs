using System.Globalization;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Catalog.Internal;

/// <summary>
/// Builds the next table metadata for a change: writes the new manifests and manifest list, and
/// returns metadata with the new snapshot as current. Nothing is visible until the catalog swaps
/// <c>root.json</c>; files of an attempt that loses are orphans for garbage collection.
/// </summary>
internal sealed class SnapshotProducer(TableFiles files)
{
    private static readonly string[] s_totals = ["total-data-files", "total-records", "total-files-size", "total-delete-files", "total-position-deletes", "total-equality-deletes"];

    public async Task<(TableMetadata Metadata, Snapshot? Snapshot)> ApplyAsync(TableMetadata current, string currentLocation, TableUpdate update, long nowMs, CancellationToken cancellationToken)
    {
        var next = update switch
        {
            AppendFiles append => await ProduceAsync(current, "append", [], append.Files, update, nowMs, cancellationToken).ConfigureAwait(false),
            ReplaceFiles replace => await ProduceAsync(current, "replace", replace.Removed, replace.Added, update, nowMs, cancellationToken).ConfigureAwait(false),
            DeleteFiles delete => await ProduceAsync(current, "delete", delete.Removed, [], update, nowMs, cancellationToken).ConfigureAwait(false),
            ExpireSnapshots expire => (Expire(current, expire), null),
            SetProperties set => (current with { Properties = UpdatedProperties(current.Properties, set) }, null),
            _ => throw new NotSupportedException($"Unknown table update {update.GetType().Name}."),
        };

        var metadata = next.Item1 with
        {
            LastUpdatedMs = Math.Max(nowMs, current.LastUpdatedMs),
            MetadataLog = [.. current.MetadataLog.TakeLast(TableMetadata.MetadataLogLimit - 1), new MetadataLogEntry(current.LastUpdatedMs, currentLocation)],
        };
        return (metadata, next.Item2);
    }

    private async Task<(TableMetadata, Snapshot?)> ProduceAsync(TableMetadata current, string operation, IReadOnlyList<string> removed, IReadOnlyList<DataFile> added, TableUpdate update, long nowMs, CancellationToken cancellationToken)
    {
        var parent = current.CurrentSnapshot;
        var snapshotId = NewSnapshotId(current);
        var sequenceNumber = current.LastSequenceNumber + 1;
        var schema = current.CurrentSchema;
        var spec = current.DefaultSpec;
        var commitId = Guid.NewGuid().ToString("N");

        var parentManifests = parent is null ? [] : await files.ReadManifestListAsync(parent.ManifestList, cancellationToken).ConfigureAwait(false);
        var manifests = new List<ManifestFile>();
        long addedRecords = added.Sum(f => f.RecordCount), addedSize = added.Sum(f => f.FileSizeInBytes);
        long removedRecords = 0, removedSize = 0, removedFiles = 0;
        var toRemove = removed.ToHashSet(StringComparer.Ordinal);

        if (added.Count > 0)
        {
            var entries = added.Select(f => new ManifestEntry(ManifestEntryStatus.Added, snapshotId, null, null, f with { SpecId = spec.SpecId })).ToList();
            manifests.Add(await WriteManifestAsync(current, schema, spec, entries, snapshotId, sequenceNumber, $"{commitId}-m0", cancellationToken).ConfigureAwait(false));
        }

        foreach (var manifest in parentManifests)
        {
            if (toRemove.Count == 0)
            {
                manifests.Add(manifest);
                continue;
            }

            var entries = await files.ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false);
            var live = entries.Where(e => e.Status != ManifestEntryStatus.Deleted).ToList();
            if (!live.Any(e => toRemove.Contains(e.File.FilePath)))
            {
                manifests.Add(manifest);
                continue;
            }

            var rewritten = live.Select(e => toRemove.Remove(e.File.FilePath)
                ? new ManifestEntry(ManifestEntryStatus.Deleted, snapshotId, e.SequenceNumber, e.FileSequenceNumber, e.File)
                : e with { Status = ManifestEntryStatus.Existing }).ToList();
            foreach (var entry in rewritten.Where(e => e.Status == ManifestEntryStatus.Deleted))
            {
                removedFiles++;
                removedRecords += entry.File.RecordCount;
                removedSize += entry.File.FileSizeInBytes;
            }

            manifests.Add(await WriteManifestAsync(current, current.CurrentSchema, current.Spec(manifest.PartitionSpecId), rewritten, snapshotId, sequenceNumber, $"{commitId}-m{manifests.Count}", cancellationToken).ConfigureAwait(false));
        }

        if (toRemove.Count > 0)
        {
            throw new CatalogException(CatalogErrorKind.CommitConflict, $"{toRemove.Count} file(s) to {operation} are no longer live in the table, e.g. {toRemove.First()}.");
        }

        var manifestList = $"{current.Location}/metadata/snap-{snapshotId}-1-{commitId}.avro";
        await files.PutNewAsync(manifestList, ManifestCodec.WriteManifestList(snapshotId, parent?.SnapshotId, sequenceNumber, manifests), cancellationToken).ConfigureAwait(false);

        var summary = new Dictionary<string, string>(update.SummaryProperties, StringComparer.Ordinal) { ["operation"] = operation };
        foreach (var (name, value) in parent?.Summary ?? new Dictionary<string, string>())
        {
            if (name.StartsWith(TableUpdate.MarkPrefix, StringComparison.Ordinal))
            {
                summary.TryAdd(name, value);
            }
        }

        if (update.IdempotencyKey is { } key)
        {
            summary[TableUpdate.IdempotencyKeyProperty] = key;
        }

        AddCount(summary, "added-data-files", added.Count);
        AddCount(summary, "added-records", addedRecords);
        AddCount(summary, "added-files-size", addedSize);
        AddCount(summary, "deleted-data-files", removedFiles);
        AddCount(summary, "deleted-records", removedRecords);
        AddCount(summary, "removed-files-size", removedSize);
        var totals = s_totals.ToDictionary(k => k, k => long.Parse(parent?.Summary.GetValueOrDefault(k, "0") ?? "0", CultureInfo.InvariantCulture));
        totals["total-data-files"] += added.Count - removedFiles;
        totals["total-records"] += addedRecords - removedRecords;
        totals["total-files-size"] += addedSize - removedSize;
        foreach (var (name, value) in totals)
        {
            summary[name] = value.ToString(CultureInfo.InvariantCulture);
        }

        var snapshot = new Snapshot(snapshotId, parent?.SnapshotId, sequenceNumber, nowMs, manifestList, summary, schema.SchemaId);
        var metadata = current with
        {
            LastSequenceNumber = sequenceNumber,
            CurrentSnapshotId = snapshotId,
            Snapshots = [.. current.Snapshots, snapshot],
            SnapshotLog = [.. current.SnapshotLog, new SnapshotLogEntry(nowMs, snapshotId)],
        };
        return (metadata, snapshot);
    }

    private async Task<ManifestFile> WriteManifestAsync(TableMetadata table, IcebergSchema schema, PartitionSpec spec, List<ManifestEntry> entries, long snapshotId, long sequenceNumber, string name, CancellationToken cancellationToken)
    {
        var path = $"{table.Location}/metadata/{name}.avro";
        var content = ManifestCodec.WriteManifest(schema, spec, entries);
        await files.PutNewAsync(path, content, cancellationToken).ConfigureAwait(false);
        var live = entries.Where(e => e.Status != ManifestEntryStatus.Deleted).ToList();
        var partitionTypes = ManifestCodec.PartitionTypes(schema, spec);
        return new ManifestFile
        {
            ManifestPath = path,
            ManifestLength = content.Length,
            PartitionSpecId = spec.SpecId,
            SequenceNumber = sequenceNumber,
            MinSequenceNumber = live.Select(e => e.SequenceNumber ?? sequenceNumber).DefaultIfEmpty(sequenceNumber).Min(),
            AddedSnapshotId = snapshotId,
            AddedFilesCount = Count(entries, ManifestEntryStatus.Added),
            ExistingFilesCount = Count(entries, ManifestEntryStatus.Existing),
            DeletedFilesCount = Count(entries, ManifestEntryStatus.Deleted),
            AddedRowsCount = Rows(entries, ManifestEntryStatus.Added),
            ExistingRowsCount = Rows(entries, ManifestEntryStatus.Existing),
            DeletedRowsCount = Rows(entries, ManifestEntryStatus.Deleted),
            Partitions = spec.Fields.Select((_, i) => Summarize(partitionTypes[i], live.Select(e => e.File.Partition[i]))).ToList(),
        };
    }

    private static FieldSummary Summarize(IcebergType type, IEnumerable<object?> values)
    {
        var present = values.ToList();
        var nonNull = present.Where(v => v is not null).Select(v => v!).ToList();
        if (nonNull.Count == 0)
        {
            return new FieldSummary(present.Count > 0, false, null, null);
        }

        var lower = nonNull.Aggregate((a, b) => SingleValue.Compare(a, b) <= 0 ? a : b);
        var upper = nonNull.Aggregate((a, b) => SingleValue.Compare(a, b) >= 0 ? a : b);
        return new FieldSummary(nonNull.Count < present.Count, false, SingleValue.Encode(type, lower), SingleValue.Encode(type, upper));
    }

    private static int Count(List<ManifestEntry> entries, ManifestEntryStatus status) => entries.Count(e => e.Status == status);

    private static long Rows(List<ManifestEntry> entries, ManifestEntryStatus status) => entries.Where(e => e.Status == status).Sum(e => e.File.RecordCount);

    private static void AddCount(Dictionary<string, string> summary, string name, long value)
    {
        if (value > 0)
        {
            summary[name] = value.ToString(CultureInfo.InvariantCulture);
        }
    }

    private static long NewSnapshotId(TableMetadata table)
    {
        while (true)
        {
            var id = Random.Shared.NextInt64(1, long.MaxValue);
            if (table.SnapshotById(id) is null)
            {
                return id;
            }
        }
    }

    /// <summary>Keeps the current snapshot, the newest <c>RetainLast</c>, and any not older than the cutoff.</summary>
    private static TableMetadata Expire(TableMetadata current, ExpireSnapshots expire)
    {
        var keep = current.Snapshots
            .Where((s, i) => s.SnapshotId == current.CurrentSnapshotId || i >= current.Snapshots.Count - expire.RetainLast || s.TimestampMs >= expire.OlderThanMs)
            .ToList();
        var kept = keep.Select(s => s.SnapshotId).ToHashSet();

        // The log keeps only entries after the last one naming an expired snapshot: it stays a contiguous history.
        var lastExpired = -1;
        for (var i = 0; i < current.SnapshotLog.Count; i++)
        {
            if (!kept.Contains(current.SnapshotLog[i].SnapshotId))
            {
                lastExpired = i;
            }
        }

        return current with { Snapshots = keep, SnapshotLog = current.SnapshotLog.Skip(lastExpired + 1).ToList() };
    }

    private static Dictionary<string, string> UpdatedProperties(IReadOnlyDictionary<string, string> current, SetProperties set)
    {
        var properties = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var key in set.Removals ?? [])
        {
            properties.Remove(key);
        }

        foreach (var (key, value) in set.Updates)
        {
            properties[key] = value;
        }

        return properties;
    }
}
