using System.Collections.Concurrent;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;

namespace IceGate.Catalog.Internal;

/// <summary>
/// Reads and writes a warehouse's metadata files by URI, caching decoded manifest lists and
/// manifests: they are immutable, so a cached copy is never stale.
/// </summary>
internal sealed class TableFiles(IObjectStore store, int cachedFiles = 10_000)
{
    private readonly ConcurrentDictionary<string, object> _cache = new(StringComparer.Ordinal);

    public string KeyOf(string uri) => store.KeyOf(uri);

    public string UriOf(string key) => $"{store.Location}/{key}";

    public async Task<byte[]> ReadAsync(string uri, CancellationToken cancellationToken) =>
        (await store.GetAsync(KeyOf(uri), cancellationToken: cancellationToken).ConfigureAwait(false))?.Content.ToArray()
        ?? throw new InvalidDataException($"The table file '{uri}' is missing.");

    /// <summary>Writes a file that must not exist yet: every metadata file name is unique.</summary>
    public async Task PutNewAsync(string uri, byte[] content, CancellationToken cancellationToken)
    {
        if (!(await store.PutAsync(KeyOf(uri), content, PutCondition.IfNoneMatch, cancellationToken).ConfigureAwait(false)).Written)
        {
            throw new InvalidOperationException($"The table file '{uri}' already exists; metadata file names must be unique.");
        }
    }

    public async Task<List<ManifestFile>> ReadManifestListAsync(string uri, CancellationToken cancellationToken) =>
        await CachedAsync(uri, async () => ManifestCodec.ReadManifestList(await ReadAsync(uri, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);

    public async Task<List<ManifestEntry>> ReadManifestAsync(ManifestFile manifest, CancellationToken cancellationToken) =>
        await CachedAsync(manifest.ManifestPath, async () => ManifestCodec.ReadManifest(await ReadAsync(manifest.ManifestPath, cancellationToken).ConfigureAwait(false), manifest)).ConfigureAwait(false);

    private async Task<T> CachedAsync<T>(string uri, Func<Task<T>> load)
        where T : class
    {
        if (_cache.TryGetValue(uri, out var cached))
        {
            return (T)cached;
        }

        var value = await load().ConfigureAwait(false);
        if (_cache.Count >= cachedFiles)
        {
            _cache.Clear();
        }

        _cache[uri] = value;
        return value;
    }
}
