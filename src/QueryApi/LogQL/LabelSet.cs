using System.Text;

namespace IceGate.QueryApi.LogQL;

/// <summary>An immutable set of labels, sorted by name, compared by value: a stream's or a series' identity.</summary>
public sealed class LabelSet : IEquatable<LabelSet>
{
    private readonly KeyValuePair<string, string>[] _labels;
    private readonly string _key;

    /// <summary>The set of the given labels (later duplicates win).</summary>
    public LabelSet(IEnumerable<KeyValuePair<string, string>> labels)
    {
        var unique = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in labels)
        {
            unique[name] = value;
        }

        _labels = [.. unique];
        var key = new StringBuilder("{");
        foreach (var (name, value) in _labels)
        {
            key.Append(key.Length > 1 ? ", " : "").Append(name).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        _key = key.Append('}').ToString();
    }

    /// <summary>The set without labels.</summary>
    public static LabelSet Empty { get; } = new([]);

    /// <summary>The labels, sorted by name.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Labels => _labels;

    /// <summary>A label's value, or null.</summary>
    public string? this[string name] => Array.Find(_labels, l => l.Key == name).Value;

    /// <inheritdoc />
    public bool Equals(LabelSet? other) => other is not null && other._key == _key;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LabelSet);

    /// <inheritdoc />
    public override int GetHashCode() => _key.GetHashCode(StringComparison.Ordinal);

    /// <summary>Prometheus' text form: <c>{a="b", c="d"}</c>.</summary>
    public override string ToString() => _key;
}
