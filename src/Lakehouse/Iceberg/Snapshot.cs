using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>A table state: the manifest list naming every live data file, and a summary of the change.</summary>
public sealed record Snapshot(long SnapshotId, long? ParentSnapshotId, long SequenceNumber, long TimestampMs, string ManifestList, IReadOnlyDictionary<string, string> Summary, int SchemaId)
{
    /// <summary>The summary's <c>operation</c>: append, replace, overwrite or delete.</summary>
    public string Operation => Summary.GetValueOrDefault("operation", "append");

    /// <summary>Writes the snapshot object of table metadata.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("snapshot-id", SnapshotId);
        if (ParentSnapshotId is { } parent)
        {
            writer.WriteNumber("parent-snapshot-id", parent);
        }

        writer.WriteNumber("sequence-number", SequenceNumber);
        writer.WriteNumber("timestamp-ms", TimestampMs);
        writer.WriteString("manifest-list", ManifestList);
        writer.WriteStartObject("summary");
        writer.WriteString("operation", Operation);
        foreach (var (key, value) in Summary.Where(p => p.Key != "operation").OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
        writer.WriteNumber("schema-id", SchemaId);
        writer.WriteEndObject();
    }

    /// <summary>Parses a snapshot object.</summary>
    public static Snapshot Parse(JsonElement json) => new(
        json.GetProperty("snapshot-id").GetInt64(),
        json.TryGetProperty("parent-snapshot-id", out var parent) && parent.ValueKind == JsonValueKind.Number ? parent.GetInt64() : null,
        json.TryGetProperty("sequence-number", out var sequence) ? sequence.GetInt64() : 0,
        json.GetProperty("timestamp-ms").GetInt64(),
        json.GetProperty("manifest-list").GetString()!,
        json.GetProperty("summary").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal),
        json.TryGetProperty("schema-id", out var schema) ? schema.GetInt32() : 0);
}
