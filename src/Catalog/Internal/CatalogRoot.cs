using System.Text.Json;
using System.Text.Json.Serialization;

namespace IceGate.Catalog.Internal;

/// <summary>
/// The content of <c>catalog/root.json</c>, the catalog's only mutable object: namespaces, their
/// tables, and each table's current metadata file. <see cref="CommitId"/> changes with every write,
/// so that each write's content is unique (the store settles unknown outcomes by comparing bytes).
/// </summary>
internal sealed class CatalogRoot
{
    [JsonPropertyName("format")]
    public int Format { get; set; } = 1;

    [JsonPropertyName("commit-id")]
    public string CommitId { get; set; } = string.Empty;

    [JsonPropertyName("namespaces")]
    public SortedDictionary<string, NamespaceEntry> Namespaces { get; set; } = new(StringComparer.Ordinal);

    public static CatalogRoot Parse(ReadOnlyMemory<byte> json) => JsonSerializer.Deserialize(json.Span, CatalogJson.Default.CatalogRoot) ?? new CatalogRoot();

    /// <summary>The next version of the root: a fresh commit id, then the JSON.</summary>
    public byte[] NextVersion()
    {
        CommitId = Guid.NewGuid().ToString("N");
        return JsonSerializer.SerializeToUtf8Bytes(this, CatalogJson.Default.CatalogRoot);
    }
}

internal sealed class NamespaceEntry
{
    [JsonPropertyName("properties")]
    public SortedDictionary<string, string> Properties { get; set; } = new(StringComparer.Ordinal);

    [JsonPropertyName("tables")]
    public SortedDictionary<string, string> Tables { get; set; } = new(StringComparer.Ordinal);
}

[JsonSerializable(typeof(CatalogRoot))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class CatalogJson : JsonSerializerContext;
