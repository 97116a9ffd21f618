using System.Globalization;
using System.Text.Json;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>An Iceberg type: a primitive, or a struct, list or map whose children carry field ids.</summary>
public abstract record IcebergType
{
    /// <summary>Writes the type as Iceberg's table-metadata JSON.</summary>
    public abstract void WriteJson(Utf8JsonWriter writer);

    /// <summary>The DuckDB type of a column of this type.</summary>
    public abstract string DuckDBType { get; }

    /// <summary>Parses a type from table-metadata JSON.</summary>
    public static IcebergType Parse(JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.String)
        {
            return PrimitiveType.Parse(json.GetString()!);
        }

        return json.GetProperty("type").GetString() switch
        {
            "struct" => new StructType(json.GetProperty("fields").EnumerateArray().Select(NestedField.Parse).ToList()),
            "list" => new ListType(json.GetProperty("element-id").GetInt32(), Parse(json.GetProperty("element")), json.GetProperty("element-required").GetBoolean()),
            "map" => new MapType(json.GetProperty("key-id").GetInt32(), Parse(json.GetProperty("key")), json.GetProperty("value-id").GetInt32(), Parse(json.GetProperty("value")), json.GetProperty("value-required").GetBoolean()),
            var other => throw new InvalidDataException($"Unknown Iceberg type '{other}'."),
        };
    }
}

/// <summary>A primitive type, named as in Iceberg's JSON (<c>long</c>, <c>string</c>, <c>decimal(9,2)</c>, …).</summary>
public sealed record PrimitiveType : IcebergType
{
    private static readonly Dictionary<string, string> s_duckDBTypes = new(StringComparer.Ordinal)
    {
        ["boolean"] = "BOOLEAN",
        ["int"] = "INTEGER",
        ["long"] = "BIGINT",
        ["float"] = "FLOAT",
        ["double"] = "DOUBLE",
        ["date"] = "DATE",
        ["time"] = "TIME",
        ["timestamp"] = "TIMESTAMP",
        ["timestamptz"] = "TIMESTAMPTZ",
        ["string"] = "VARCHAR",
        ["uuid"] = "UUID",
        ["binary"] = "BLOB",
    };

    private PrimitiveType(string name) => Name = name;

#pragma warning disable CS1591 // The names are Iceberg's.
    public static PrimitiveType Boolean { get; } = new("boolean");
    public static PrimitiveType Int { get; } = new("int");
    public static PrimitiveType Long { get; } = new("long");
    public static PrimitiveType Float { get; } = new("float");
    public static PrimitiveType Double { get; } = new("double");
    public static PrimitiveType Date { get; } = new("date");
    public static PrimitiveType Timestamp { get; } = new("timestamp");
    public static PrimitiveType TimestampTz { get; } = new("timestamptz");
    public static PrimitiveType String { get; } = new("string");
    public static PrimitiveType Binary { get; } = new("binary");
#pragma warning restore CS1591

    /// <summary>The Iceberg name.</summary>
    public string Name { get; }

    /// <inheritdoc />
    public override string DuckDBType => s_duckDBTypes.TryGetValue(Name, out var type) ? type
        : Name.StartsWith("decimal(", StringComparison.Ordinal) ? Name.ToUpperInvariant()
        : Name.StartsWith("fixed[", StringComparison.Ordinal) ? "BLOB"
        : throw new NotSupportedException($"No DuckDB type for Iceberg type {Name}.");

    /// <summary>The primitive named <paramref name="name"/>.</summary>
    public static PrimitiveType Parse(string name) =>
        s_duckDBTypes.ContainsKey(name) || name.StartsWith("decimal(", StringComparison.Ordinal) || name.StartsWith("fixed[", StringComparison.Ordinal)
            ? new PrimitiveType(name)
            : throw new InvalidDataException($"Unknown Iceberg primitive type '{name}'.");

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(Name);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A struct: named, numbered fields.</summary>
public sealed record StructType(IReadOnlyList<NestedField> Fields) : IcebergType
{
    /// <inheritdoc />
    public override string DuckDBType => $"STRUCT({string.Join(", ", Fields.Select(f => $"\"{f.Name}\" {f.Type.DuckDBType}"))})";

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "struct");
        writer.WritePropertyName("fields");
        NestedField.WriteJsonArray(writer, Fields);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public bool Equals(StructType? other) => other is not null && Fields.SequenceEqual(other.Fields);

    /// <inheritdoc />
    public override int GetHashCode() => Fields.Count;
}

/// <summary>A list whose element has its own field id.</summary>
public sealed record ListType(int ElementId, IcebergType Element, bool ElementRequired) : IcebergType
{
    /// <inheritdoc />
    public override string DuckDBType => $"{Element.DuckDBType}[]";

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "list");
        writer.WriteNumber("element-id", ElementId);
        writer.WritePropertyName("element");
        Element.WriteJson(writer);
        writer.WriteBoolean("element-required", ElementRequired);
        writer.WriteEndObject();
    }
}

/// <summary>A map whose key and value have their own field ids.</summary>
public sealed record MapType(int KeyId, IcebergType Key, int ValueId, IcebergType Value, bool ValueRequired) : IcebergType
{
    /// <inheritdoc />
    public override string DuckDBType => $"MAP({Key.DuckDBType}, {Value.DuckDBType})";

    /// <inheritdoc />
    public override void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("type", "map");
        writer.WriteNumber("key-id", KeyId);
        writer.WritePropertyName("key");
        Key.WriteJson(writer);
        writer.WriteNumber("value-id", ValueId);
        writer.WritePropertyName("value");
        Value.WriteJson(writer);
        writer.WriteBoolean("value-required", ValueRequired);
        writer.WriteEndObject();
    }
}

/// <summary>A field of a struct or schema. Ids are assigned once and never reused.</summary>
public sealed record NestedField(int Id, string Name, bool Required, IcebergType Type, string? Doc = null)
{
    /// <summary>Parses a field from table-metadata JSON.</summary>
    public static NestedField Parse(JsonElement json) => new(
        json.GetProperty("id").GetInt32(),
        json.GetProperty("name").GetString()!,
        json.GetProperty("required").GetBoolean(),
        IcebergType.Parse(json.GetProperty("type")),
        json.TryGetProperty("doc", out var doc) ? doc.GetString() : null);

    /// <summary>Writes fields as a JSON array.</summary>
    public static void WriteJsonArray(Utf8JsonWriter writer, IEnumerable<NestedField> fields)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(fields);
        writer.WriteStartArray();
        foreach (var field in fields)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", field.Id);
            writer.WriteString("name", field.Name);
            writer.WriteBoolean("required", field.Required);
            writer.WritePropertyName("type");
            field.Type.WriteJson(writer);
            if (field.Doc is not null)
            {
                writer.WriteString("doc", field.Doc);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>This field's id and the ids of everything nested in it.</summary>
    public IEnumerable<int> AllIds()
    {
        yield return Id;
        foreach (var id in NestedIds(Type))
        {
            yield return id;
        }
    }

    /// <summary>DuckDB's <c>FIELD_IDS</c> entry for this column: its id, and nested ids by DuckDB's child names.</summary>
    public string DuckDBFieldIds() => $"\"{Name}\": {FieldIds(Id, Type)}";

    private static string FieldIds(int id, IcebergType type) => type switch
    {
        ListType list => $"{{__duckdb_field_id: {id}, element: {FieldIds(list.ElementId, list.Element)}}}",
        MapType map => $"{{__duckdb_field_id: {id}, key: {FieldIds(map.KeyId, map.Key)}, value: {FieldIds(map.ValueId, map.Value)}}}",
        StructType structType => $"{{__duckdb_field_id: {id}, {string.Join(", ", structType.Fields.Select(f => f.DuckDBFieldIds()))}}}",
        _ => id.ToString(CultureInfo.InvariantCulture),
    };

    private static IEnumerable<int> NestedIds(IcebergType type) => type switch
    {
        ListType list => NestedIds(list.Element).Prepend(list.ElementId),
        MapType map => NestedIds(map.Key).Prepend(map.KeyId).Concat(NestedIds(map.Value).Prepend(map.ValueId)),
        StructType structType => structType.Fields.SelectMany(f => f.AllIds()),
        _ => [],
    };
}
