using IceGate.Catalog;
using IceGate.Lakehouse.Storage;

namespace IceGate.QueryApi;

/// <summary>
/// Table metadata for queries, revalidated with one HEAD of the catalog root per load: while the
/// root's ETag is unchanged no table has a new metadata file, so the cached parse stands.
/// </summary>
public sealed class TableCache(IcebergCatalog catalog, IObjectStore store, string ns)
{
    private readonly Dictionary<string, (string RootETag, LoadedTable Table)> _tables = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The table's current metadata.</summary>
    public async Task<LoadedTable> LoadAsync(string table, CancellationToken cancellationToken)
    {
        var root = await store.HeadAsync(IcebergCatalog.RootKey, cancellationToken).ConfigureAwait(false)
            ?? throw new CatalogException(CatalogErrorKind.TableNotFound, "The catalog has no tables yet.");
        lock (_lock)
        {
            if (_tables.TryGetValue(table, out var cached) && cached.RootETag == root.ETag)
            {
                return cached.Table;
            }
        }

        // Recorded under the ETag seen before loading: if the root moved meanwhile, the next load reloads.
        var loaded = await catalog.LoadTableAsync(ns, table, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _tables[table] = (root.ETag, loaded);
        }

        return loaded;
    }
}
