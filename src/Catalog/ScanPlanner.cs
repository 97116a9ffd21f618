using IceGate.Catalog.Internal;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Catalog;

/// <summary>What a query needs from a table: which snapshot, and predicates to prune files by.</summary>
public sealed record ScanRequest
{
    /// <summary>Read this snapshot (time travel); default: the current one.</summary>
    public long? SnapshotId { get; init; }

    /// <summary>Read the snapshot that was current at this time (Unix ms); ignored if <see cref="SnapshotId"/> is set.</summary>
    public long? AsOfMs { get; init; }

    /// <summary>Only this tenant's rows.</summary>
    public string? TenantId { get; init; }

    /// <summary>Only rows with a timestamp at or after this (µs since the epoch).</summary>
    public long? FromMicros { get; init; }

    /// <summary>Only rows with a timestamp before this (µs since the epoch).</summary>
    public long? ToMicros { get; init; }

    /// <summary>Only rows where each named top-level column equals the value.</summary>
    public IReadOnlyDictionary<string, object> Equalities { get; init; } = new Dictionary<string, object>();

    /// <summary>Only rows holding, for each needle, one of its values in its indexed column: what skipping indexes can prune by.</summary>
    public IReadOnlyList<IndexNeedle> Needles { get; init; } = [];
}

/// <summary>A predicate a file's skipping index answers: some row has one of <paramref name="Values"/> in the filter <paramref name="Filter"/>.</summary>
/// <param name="Filter">The index filter (<c>trace_id</c>, <c>span_id</c>, <c>attribute:&lt;key&gt;</c>).</param>
/// <param name="Values">The values, any of which a matching row holds.</param>
public sealed record IndexNeedle(string Filter, IReadOnlyList<string> Values);

/// <summary>The files a scan must read, and how much pruning saved.</summary>
public sealed record ScanPlan(Snapshot? Snapshot, IReadOnlyList<DataFile> Files, int ManifestsConsidered, int ManifestsPruned, int FilesConsidered, int FilesPruned);

/// <summary>
/// Plans table scans: the live data files of a snapshot that can hold matching rows, pruned first
/// per manifest by its partition summaries, then per file by partition values and column bounds.
/// Pruning only ever drops files that cannot match; manifests are cached, so warm planning reads
/// no objects but the manifest list of a snapshot it has not seen.
/// </summary>
public sealed class ScanPlanner(IcebergCatalog catalog)
{
    private readonly TableFiles _files = catalog.Files;

    /// <summary>Plans a scan of <paramref name="table"/>.</summary>
    public async Task<ScanPlan> PlanAsync(TableMetadata table, ScanRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(request);
        var snapshot = request.SnapshotId is { } id ? table.SnapshotById(id) ?? throw new CatalogException(CatalogErrorKind.SnapshotNotFound, $"Snapshot {id} is not retained.")
            : request.AsOfMs is { } asOf ? table.SnapshotAsOf(asOf) ?? throw new CatalogException(CatalogErrorKind.SnapshotNotFound, $"The table had no snapshot at {DateTimeOffset.FromUnixTimeMilliseconds(asOf):O}.")
            : table.CurrentSnapshot;
        if (snapshot is null)
        {
            return new ScanPlan(null, [], 0, 0, 0, 0);
        }

        var schema = table.Schemas.FirstOrDefault(s => s.SchemaId == snapshot.SchemaId) ?? table.CurrentSchema;
        var timestamp = schema.Fields.FirstOrDefault(f => f.Name == "timestamp");
        var tenant = schema.Fields.FirstOrDefault(f => f.Name == "tenant_id");
        var equalities = request.Equalities.Select(p => (Field: schema.Field(p.Key), p.Value)).ToList();

        var files = new List<DataFile>();
        int manifestsPruned = 0, filesConsidered = 0, filesPruned = 0;
        var manifests = await _files.ReadManifestListAsync(snapshot.ManifestList, cancellationToken).ConfigureAwait(false);
        foreach (var manifest in manifests)
        {
            var spec = table.Spec(manifest.PartitionSpecId);
            var partitionTypes = ManifestCodec.PartitionTypes(schema, spec);
            if (!ManifestMayMatch(manifest, spec, partitionTypes, request, tenant, timestamp))
            {
                manifestsPruned++;
                continue;
            }

            foreach (var entry in await _files.ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
            {
                if (entry.Status == ManifestEntryStatus.Deleted)
                {
                    continue;
                }

                filesConsidered++;
                if (FileMayMatch(entry.File, spec, request, tenant, timestamp, equalities))
                {
                    files.Add(entry.File);
                }
                else
                {
                    filesPruned++;
                }
            }
        }

        return new ScanPlan(snapshot, files, manifests.Count, manifestsPruned, filesConsidered, filesPruned);
    }

    private static bool ManifestMayMatch(ManifestFile manifest, PartitionSpec spec, IReadOnlyList<IcebergType> types, ScanRequest request, NestedField? tenant, NestedField? timestamp)
    {
        for (var i = 0; i < spec.Fields.Count && i < manifest.Partitions.Count; i++)
        {
            var field = spec.Fields[i];
            var summary = manifest.Partitions[i];
            if (summary.LowerBound is null || summary.UpperBound is null)
            {
                continue;
            }

            var lower = SingleValue.Decode(types[i], summary.LowerBound);
            var upper = SingleValue.Decode(types[i], summary.UpperBound);
            if (field.Transform == "identity" && field.SourceId == tenant?.Id && request.TenantId is { } t && !Within(t, lower, upper))
            {
                return false;
            }

            if (field.SourceId == timestamp?.Id && field.Transform != "identity" && !OverlapsTime(field, lower, upper, request))
            {
                return false;
            }
        }

        return true;
    }

    private static bool FileMayMatch(DataFile file, PartitionSpec spec, ScanRequest request, NestedField? tenant, NestedField? timestamp, List<(NestedField Field, object Value)> equalities)
    {
        for (var i = 0; i < spec.Fields.Count; i++)
        {
            var field = spec.Fields[i];
            if (file.Partition[i] is not { } value)
            {
                continue;
            }

            if (field.Transform == "identity" && field.SourceId == tenant?.Id && request.TenantId is { } t && !Equals(value, t))
            {
                return false;
            }

            if (field.SourceId == timestamp?.Id && field.Transform != "identity" && !OverlapsTime(field, value, value, request))
            {
                return false;
            }
        }

        if (timestamp is not null && (request.FromMicros is not null || request.ToMicros is not null)
            && file.LowerBounds.TryGetValue(timestamp.Id, out var low) && file.UpperBounds.TryGetValue(timestamp.Id, out var high))
        {
            var lowest = (long)SingleValue.Decode(timestamp.Type, low);
            var highest = (long)SingleValue.Decode(timestamp.Type, high);
            if ((request.ToMicros is { } to && lowest >= to) || (request.FromMicros is { } from && highest < from))
            {
                return false;
            }
        }

        foreach (var (field, value) in equalities)
        {
            if (file.LowerBounds.TryGetValue(field.Id, out var lowBytes) && file.UpperBounds.TryGetValue(field.Id, out var highBytes) && field.Type is PrimitiveType
                && !Within(value, SingleValue.Decode(field.Type, lowBytes), SingleValue.Decode(field.Type, highBytes)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Within(object value, object lower, object upper) =>
        SingleValue.Compare(value, lower) >= 0 && SingleValue.Compare(value, upper) <= 0;

    /// <summary>Whether partition values [lower, upper] of a time transform can hold a time in [from, to).</summary>
    private static bool OverlapsTime(PartitionField field, object lower, object upper, ScanRequest request)
    {
        if (request.FromMicros is { } from && Convert.ToInt64(upper, System.Globalization.CultureInfo.InvariantCulture) < Convert.ToInt64(field.Apply(from)!, System.Globalization.CultureInfo.InvariantCulture))
        {
            return false;
        }

        // The range end is exclusive: the partition of the last included microsecond.
        return request.ToMicros is not { } to || Convert.ToInt64(lower, System.Globalization.CultureInfo.InvariantCulture) <= Convert.ToInt64(field.Apply(to - 1)!, System.Globalization.CultureInfo.InvariantCulture);
    }
}
