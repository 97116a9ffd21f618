namespace IceGate.Lakehouse.Storage;

/// <summary>
/// An object store with S3's semantics: immutable whole-object writes, ranged reads, prefix
/// listing, and conditional writes, which are IceGate's only means of coordination.
/// </summary>
/// <remarks>
/// Outcomes that callers branch on are values, not exceptions: a missing object is <c>null</c>, a
/// failed write condition is <see cref="PutResult.PreconditionFailed"/>, deleting a missing object
/// succeeds. Failures of the store itself throw <see cref="ObjectStoreException"/>; its
/// <see cref="ObjectStoreException.IsTransient"/> says whether trying again may help. ETags are
/// opaque, unquoted, and change with every write of an object.
/// </remarks>
public interface IObjectStore
{
    /// <summary>
    /// The URI under which the keys live (<c>file:///…/objects</c>, <c>s3://bucket/prefix</c>), without
    /// a trailing slash: key <c>k</c> is at <c>Location/k</c>. Iceberg metadata records such URIs.
    /// </summary>
    string Location { get; }

    /// <summary>Reads an object, or the part <paramref name="range"/> selects; <c>null</c> if it does not exist.</summary>
    ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default);

    /// <summary>Describes an object without reading it; <c>null</c> if it does not exist.</summary>
    ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a whole object if <paramref name="condition"/> holds: always, only if the key is
    /// free (<see cref="PutCondition.IfNoneMatch"/>), or only if the object still has a given ETag
    /// (<see cref="PutCondition.IfMatch"/>, compare-and-swap). Atomic: readers see the old or the
    /// new object, never a mix, and of concurrent conditional writers at most one succeeds.
    /// </summary>
    ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists objects whose keys start with <paramref name="prefix"/>, in ascending key order, one
    /// page at a time; pass the returned <see cref="ListPage.ContinuationToken"/> to get the next.
    /// </summary>
    ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object; deleting one that does not exist succeeds.</summary>
    ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default);
}
