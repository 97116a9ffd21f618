namespace IceGate.Lakehouse.Index;

/// <summary>The skipping indexes' settings (<c>Index:*</c>).</summary>
public sealed class IndexOptions
{
    /// <summary>Whether shift and compaction write an index beside each data file, and queries use them.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The attribute keys indexed when <see cref="Attributes"/> is not set: the ids needle queries look for.</summary>
    public static IReadOnlyList<string> DefaultAttributes { get; } = ["user.id", "enduser.id", "http.request.id", "request.id", "request_id", "session.id", "order.id"];

    /// <summary>
    /// The attribute keys whose values are indexed (in every map column of a table: resource, log,
    /// span and metric attributes), instead of <see cref="DefaultAttributes"/>. Null by default so
    /// that a configured list replaces the defaults rather than being bound onto them.
    /// </summary>
    public List<string>? Attributes { get; set; }

    /// <summary>The keys in effect.</summary>
    public IReadOnlyList<string> AttributeKeys => Attributes ?? DefaultAttributes;
}
