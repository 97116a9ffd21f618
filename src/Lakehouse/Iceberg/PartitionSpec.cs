using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>A partition field: a transform of a source column, with its own id (from 1000).</summary>
/// <param name="Name">The partition column's name (<c>tenant_id</c>, <c>timestamp_day</c>).</param>
/// <param name="Transform"><c>identity</c>, <c>day</c>, <c>hour</c>, <c>month</c> or <c>year</c>.</param>
/// <param name="SourceId">The schema field it is computed from.</param>
/// <param name="FieldId">Its id, unique across every spec of the table.</param>
public sealed record PartitionField(string Name, string Transform, int SourceId, int FieldId)
{
    /// <summary>The type of the partition value, given the source field's type.</summary>
    public IcebergType ResultType(IcebergType sourceType) => Transform switch
    {
        "identity" => sourceType,
        "day" => PrimitiveType.Date,
        "hour" or "month" or "year" => PrimitiveType.Int,
        _ => throw new NotSupportedException($"Partition transform '{Transform}' is not supported."),
    };

    /// <summary>
    /// The partition value of a source value: identity keeps it; the time transforms count whole
    /// units since 1970 (floor, also before 1970). Timestamps are microseconds since the epoch.
    /// </summary>
    public object? Apply(object? value) => (Transform, value) switch
    {
        (_, null) => null,
        ("identity", _) => value,
        ("day", long micros) => (int)Math.Floor(micros / 86_400_000_000.0),
        ("hour", long micros) => (int)Math.Floor(micros / 3_600_000_000.0),
        ("month", long micros) => MonthsSinceEpoch(DateTime.UnixEpoch.AddTicks(micros * 10)),
        ("year", long micros) => DateTime.UnixEpoch.AddTicks(micros * 10).Year - 1970,
        _ => throw new NotSupportedException($"Cannot apply transform '{Transform}' to a {value.GetType().Name}."),
    };

    private static int MonthsSinceEpoch(DateTime time) => ((time.Year - 1970) * 12) + time.Month - 1;
}

/// <summary>How a table's files are partitioned.</summary>
public sealed record PartitionSpec(int SpecId, IReadOnlyList<PartitionField> Fields)
{
    /// <summary>Writes the spec object of table metadata.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("spec-id", SpecId);
        writer.WritePropertyName("fields");
        WriteFieldsJson(writer);
        writer.WriteEndObject();
    }

    /// <summary>Writes the fields array alone (a manifest's <c>partition-spec</c> metadata).</summary>
    public void WriteFieldsJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray();
        foreach (var field in Fields)
        {
            writer.WriteStartObject();
            writer.WriteString("name", field.Name);
            writer.WriteString("transform", field.Transform);
            writer.WriteNumber("source-id", field.SourceId);
            writer.WriteNumber("field-id", field.FieldId);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Parses a spec object.</summary>
    public static PartitionSpec Parse(JsonElement json) => new(
        json.GetProperty("spec-id").GetInt32(),
        json.GetProperty("fields").EnumerateArray().Select(f => new PartitionField(
            f.GetProperty("name").GetString()!, f.GetProperty("transform").GetString()!, f.GetProperty("source-id").GetInt32(), f.GetProperty("field-id").GetInt32())).ToList());

    /// <inheritdoc />
    public bool Equals(PartitionSpec? other) => other is not null && SpecId == other.SpecId && Fields.SequenceEqual(other.Fields);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SpecId, Fields.Count);
}

/// <summary>A sort field of a sort order.</summary>
public sealed record SortField(int SourceId, string Direction = "asc", string NullOrder = "nulls-first", string Transform = "identity");

/// <summary>How rows are sorted within data files; order id 0 is reserved for unsorted.</summary>
public sealed record SortOrder(int OrderId, IReadOnlyList<SortField> Fields)
{
    /// <summary>Writes the sort order object of table metadata.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("order-id", OrderId);
        writer.WriteStartArray("fields");
        foreach (var field in Fields)
        {
            writer.WriteStartObject();
            writer.WriteString("transform", field.Transform);
            writer.WriteNumber("source-id", field.SourceId);
            writer.WriteString("direction", field.Direction);
            writer.WriteString("null-order", field.NullOrder);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Parses a sort order object.</summary>
    public static SortOrder Parse(JsonElement json) => new(
        json.GetProperty("order-id").GetInt32(),
        json.GetProperty("fields").EnumerateArray().Select(f => new SortField(
            f.GetProperty("source-id").GetInt32(), f.GetProperty("direction").GetString()!, f.GetProperty("null-order").GetString()!, f.GetProperty("transform").GetString()!)).ToList());

    /// <inheritdoc />
    public bool Equals(SortOrder? other) => other is not null && OrderId == other.OrderId && Fields.SequenceEqual(other.Fields);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(OrderId, Fields.Count);
}
