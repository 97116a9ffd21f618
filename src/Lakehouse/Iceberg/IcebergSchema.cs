using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>A table schema: numbered top-level fields.</summary>
public sealed record IcebergSchema(int SchemaId, IReadOnlyList<NestedField> Fields)
{
    /// <summary>The highest field id, nested ids included (the table's <c>last-column-id</c>).</summary>
    public int HighestFieldId => Fields.SelectMany(f => f.AllIds()).Max();

    /// <summary>The top-level field called <paramref name="name"/>.</summary>
    public NestedField Field(string name) =>
        Fields.FirstOrDefault(f => f.Name == name) ?? throw new ArgumentException($"The schema has no field '{name}'.", nameof(name));

    /// <summary>The top-level field with id <paramref name="id"/>, or null.</summary>
    public NestedField? FindField(int id) => Fields.FirstOrDefault(f => f.Id == id);

    /// <summary>DuckDB column definitions, for CREATE TABLE.</summary>
    public string DuckDBColumns() => string.Join(", ", Fields.Select(f => $"\"{f.Name}\" {f.Type.DuckDBType}"));

    /// <summary>DuckDB's <c>FIELD_IDS</c> option value for COPY … TO Parquet.</summary>
    public string DuckDBFieldIds() => $"{{{string.Join(", ", Fields.Select(f => f.DuckDBFieldIds()))}}}";

    /// <summary>Writes the schema object of table metadata (and of a manifest's <c>schema</c> key).</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "struct");
        writer.WriteNumber("schema-id", SchemaId);
        writer.WritePropertyName("fields");
        NestedField.WriteJsonArray(writer, Fields);
        writer.WriteEndObject();
    }

    /// <summary>The schema as a JSON string.</summary>
    public string ToJson() => JsonText.Write(WriteJson);

    /// <summary>Parses a schema object.</summary>
    public static IcebergSchema Parse(JsonElement json) =>
        new(json.GetProperty("schema-id").GetInt32(), json.GetProperty("fields").EnumerateArray().Select(NestedField.Parse).ToList());

    /// <inheritdoc />
    public bool Equals(IcebergSchema? other) => other is not null && SchemaId == other.SchemaId && Fields.SequenceEqual(other.Fields);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(SchemaId, Fields.Count);
}
