using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>One entry of the snapshot log: when a snapshot became current.</summary>
public sealed record SnapshotLogEntry(long TimestampMs, long SnapshotId);

/// <summary>One entry of the metadata log: a previous metadata file.</summary>
public sealed record MetadataLogEntry(long TimestampMs, string MetadataFile);

/// <summary>
/// Iceberg v2 table metadata, the content of a <c>*.metadata.json</c> file, written with every
/// field the spec requires. Immutable: a commit produces a new instance and a new file.
/// </summary>
public sealed record TableMetadata
{
    /// <summary>How many previous metadata files the metadata log keeps (Java's default).</summary>
    public const int MetadataLogLimit = 100;

    /// <summary>Iceberg's format version; always 2.</summary>
    public int FormatVersion => 2;

    /// <summary>The table's UUID, fixed at creation.</summary>
    public required Guid TableUuid { get; init; }

    /// <summary>The table's base URI, without a trailing slash.</summary>
    public required string Location { get; init; }

    /// <summary>The highest snapshot sequence number assigned.</summary>
    public long LastSequenceNumber { get; init; }

    /// <summary>When the table last changed.</summary>
    public required long LastUpdatedMs { get; init; }

    /// <summary>The highest field id ever assigned.</summary>
    public required int LastColumnId { get; init; }

    /// <summary>Every schema of the table.</summary>
    public required IReadOnlyList<IcebergSchema> Schemas { get; init; }

    /// <summary>The id of the current schema.</summary>
    public int CurrentSchemaId { get; init; }

    /// <summary>Every partition spec of the table.</summary>
    public required IReadOnlyList<PartitionSpec> PartitionSpecs { get; init; }

    /// <summary>The spec new files are written with.</summary>
    public int DefaultSpecId { get; init; }

    /// <summary>The highest partition field id ever assigned.</summary>
    public required int LastPartitionId { get; init; }

    /// <summary>Every sort order of the table.</summary>
    public required IReadOnlyList<SortOrder> SortOrders { get; init; }

    /// <summary>The sort order new files are written in.</summary>
    public int DefaultSortOrderId { get; init; }

    /// <summary>Table properties.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>The current snapshot (the <c>main</c> branch), or null for an empty table.</summary>
    public long? CurrentSnapshotId { get; init; }

    /// <summary>Every retained snapshot, oldest first.</summary>
    public IReadOnlyList<Snapshot> Snapshots { get; init; } = [];

    /// <summary>When each snapshot became current.</summary>
    public IReadOnlyList<SnapshotLogEntry> SnapshotLog { get; init; } = [];

    /// <summary>Previous metadata files.</summary>
    public IReadOnlyList<MetadataLogEntry> MetadataLog { get; init; } = [];

    /// <summary>The current schema.</summary>
    public IcebergSchema CurrentSchema => Schemas.Single(s => s.SchemaId == CurrentSchemaId);

    /// <summary>The default partition spec.</summary>
    public PartitionSpec DefaultSpec => Spec(DefaultSpecId);

    /// <summary>The current snapshot, or null.</summary>
    public Snapshot? CurrentSnapshot => CurrentSnapshotId is { } id ? SnapshotById(id) : null;

    /// <summary>The partition spec with <paramref name="specId"/>.</summary>
    public PartitionSpec Spec(int specId) => PartitionSpecs.FirstOrDefault(s => s.SpecId == specId) ?? throw new InvalidDataException($"The table has no partition spec {specId}.");

    /// <summary>The snapshot with <paramref name="snapshotId"/>, or null if it is not retained.</summary>
    public Snapshot? SnapshotById(long snapshotId) => Snapshots.FirstOrDefault(s => s.SnapshotId == snapshotId);

    /// <summary>The snapshot that was current at <paramref name="timestampMs"/>, from the snapshot log; null if none was.</summary>
    public Snapshot? SnapshotAsOf(long timestampMs)
    {
        var entry = SnapshotLog.LastOrDefault(e => e.TimestampMs <= timestampMs);
        return entry is null ? null : SnapshotById(entry.SnapshotId);
    }

    /// <summary>A new, empty table.</summary>
    public static TableMetadata Create(string location, IcebergSchema schema, PartitionSpec spec, SortOrder sortOrder, IReadOnlyDictionary<string, string>? properties = null) => new()
    {
        TableUuid = Guid.NewGuid(),
        Location = location.TrimEnd('/'),
        LastUpdatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        LastColumnId = schema.HighestFieldId,
        Schemas = [schema],
        CurrentSchemaId = schema.SchemaId,
        PartitionSpecs = [spec],
        DefaultSpecId = spec.SpecId,
        LastPartitionId = spec.Fields.Count == 0 ? 999 : spec.Fields.Max(f => f.FieldId),
        SortOrders = sortOrder.OrderId == 0 ? [sortOrder] : [new SortOrder(0, []), sortOrder],
        DefaultSortOrderId = sortOrder.OrderId,
        Properties = properties ?? new Dictionary<string, string>(),
    };

    /// <summary>The metadata as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonText.WriteUtf8(WriteJson, indented: true);

    /// <summary>Writes the metadata JSON.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("format-version", FormatVersion);
        writer.WriteString("table-uuid", TableUuid.ToString("D"));
        writer.WriteString("location", Location);
        writer.WriteNumber("last-sequence-number", LastSequenceNumber);
        writer.WriteNumber("last-updated-ms", LastUpdatedMs);
        writer.WriteNumber("last-column-id", LastColumnId);
        writer.WriteNumber("current-schema-id", CurrentSchemaId);
        writer.WriteStartArray("schemas");
        foreach (var schema in Schemas)
        {
            schema.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteNumber("default-spec-id", DefaultSpecId);
        writer.WriteStartArray("partition-specs");
        foreach (var spec in PartitionSpecs)
        {
            spec.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteNumber("last-partition-id", LastPartitionId);
        writer.WriteNumber("default-sort-order-id", DefaultSortOrderId);
        writer.WriteStartArray("sort-orders");
        foreach (var order in SortOrders)
        {
            order.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("properties");
        foreach (var (key, value) in Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
        writer.WriteNumber("current-snapshot-id", CurrentSnapshotId ?? -1);
        writer.WriteStartObject("refs");
        if (CurrentSnapshotId is { } current)
        {
            writer.WriteStartObject("main");
            writer.WriteNumber("snapshot-id", current);
            writer.WriteString("type", "branch");
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteStartArray("snapshots");
        foreach (var snapshot in Snapshots)
        {
            snapshot.WriteJson(writer);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("statistics");
        writer.WriteEndArray();
        writer.WriteStartArray("snapshot-log");
        foreach (var entry in SnapshotLog)
        {
            writer.WriteStartObject();
            writer.WriteNumber("timestamp-ms", entry.TimestampMs);
            writer.WriteNumber("snapshot-id", entry.SnapshotId);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("metadata-log");
        foreach (var entry in MetadataLog)
        {
            writer.WriteStartObject();
            writer.WriteNumber("timestamp-ms", entry.TimestampMs);
            writer.WriteString("metadata-file", entry.MetadataFile);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Parses metadata JSON.</summary>
    public static TableMetadata Parse(ReadOnlyMemory<byte> json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var formatVersion = root.GetProperty("format-version").GetInt32();
        if (formatVersion != 2)
        {
            throw new InvalidDataException($"Only Iceberg format version 2 is supported, not {formatVersion}.");
        }

        var current = root.TryGetProperty("current-snapshot-id", out var currentJson) && currentJson.ValueKind == JsonValueKind.Number && currentJson.GetInt64() >= 0
            ? currentJson.GetInt64()
            : (long?)null;
        return new TableMetadata
        {
            TableUuid = root.GetProperty("table-uuid").GetGuid(),
            Location = root.GetProperty("location").GetString()!,
            LastSequenceNumber = root.GetProperty("last-sequence-number").GetInt64(),
            LastUpdatedMs = root.GetProperty("last-updated-ms").GetInt64(),
            LastColumnId = root.GetProperty("last-column-id").GetInt32(),
            Schemas = root.GetProperty("schemas").EnumerateArray().Select(IcebergSchema.Parse).ToList(),
            CurrentSchemaId = root.GetProperty("current-schema-id").GetInt32(),
            PartitionSpecs = root.GetProperty("partition-specs").EnumerateArray().Select(PartitionSpec.Parse).ToList(),
            DefaultSpecId = root.GetProperty("default-spec-id").GetInt32(),
            LastPartitionId = root.GetProperty("last-partition-id").GetInt32(),
            SortOrders = root.GetProperty("sort-orders").EnumerateArray().Select(SortOrder.Parse).ToList(),
            DefaultSortOrderId = root.GetProperty("default-sort-order-id").GetInt32(),
            Properties = root.TryGetProperty("properties", out var properties)
                ? properties.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal)
                : new Dictionary<string, string>(),
            CurrentSnapshotId = current,
            Snapshots = root.TryGetProperty("snapshots", out var snapshots) ? snapshots.EnumerateArray().Select(Snapshot.Parse).ToList() : [],
            SnapshotLog = root.TryGetProperty("snapshot-log", out var snapshotLog)
                ? snapshotLog.EnumerateArray().Select(e => new SnapshotLogEntry(e.GetProperty("timestamp-ms").GetInt64(), e.GetProperty("snapshot-id").GetInt64())).ToList()
                : [],
            MetadataLog = root.TryGetProperty("metadata-log", out var metadataLog)
                ? metadataLog.EnumerateArray().Select(e => new MetadataLogEntry(e.GetProperty("timestamp-ms").GetInt64(), e.GetProperty("metadata-file").GetString()!)).ToList()
                : [],
        };
    }
}
