using System.Globalization;
using IceGate.Catalog.Internal;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;

namespace IceGate.Catalog;

/// <summary>
/// An Iceberg catalog that needs no database: its whole state is one object,
/// <c>catalog/root.json</c>, naming each table's current metadata file, and it changes only by
/// compare-and-swap of that object. Tables live under <c>warehouse/&lt;namespace&gt;/&lt;table&gt;</c>.
/// </summary>
/// <remarks>
/// A commit writes its manifests, manifest list and new metadata file (all under fresh names),
/// then swaps <c>root.json</c> from the version it read. If another commit swapped first, it
/// re-reads, re-validates its requirements against the new state and tries again. Everything an
/// attempt wrote before a failed swap is unreferenced, so a crash at any point leaves the table at
/// a committed snapshot, and <see cref="FindOrphansAsync"/> finds the leftovers.
/// </remarks>
public sealed class IcebergCatalog
{
    /// <summary>The key of the catalog's root object.</summary>
    public const string RootKey = "catalog/root.json";

    private readonly IObjectStore _store;
    private readonly TableFiles _files;
    private readonly SnapshotProducer _producer;
    private readonly int _maxCommitAttempts;

    /// <summary>Creates a catalog over a store.</summary>
    public IcebergCatalog(IObjectStore store, int maxCommitAttempts = 100)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _files = new TableFiles(store);
        _producer = new SnapshotProducer(_files);
        _maxCommitAttempts = maxCommitAttempts;
    }

    /// <summary>The URI of the warehouse that holds every table.</summary>
    public string WarehouseLocation => $"{_store.Location}/warehouse";

    /// <summary>The namespaces, in order.</summary>
    public async Task<IReadOnlyList<string>> ListNamespacesAsync(CancellationToken cancellationToken = default) =>
        [.. (await ReadRootAsync(cancellationToken).ConfigureAwait(false)).Root.Namespaces.Keys];

    /// <summary>A namespace's properties.</summary>
    public async Task<IReadOnlyDictionary<string, string>> LoadNamespaceAsync(string ns, CancellationToken cancellationToken = default) =>
        Namespace((await ReadRootAsync(cancellationToken).ConfigureAwait(false)).Root, ns).Properties;

    /// <summary>Creates a namespace.</summary>
    public Task CreateNamespaceAsync(string ns, IReadOnlyDictionary<string, string>? properties = null, CancellationToken cancellationToken = default)
    {
        ValidateName(ns, nameof(ns));
        return UpdateRootAsync(root =>
        {
            if (!root.Namespaces.TryAdd(ns, new NamespaceEntry { Properties = new SortedDictionary<string, string>(properties?.ToDictionary() ?? [], StringComparer.Ordinal) }))
            {
                throw new CatalogException(CatalogErrorKind.AlreadyExists, $"Namespace '{ns}' already exists.");
            }
        }, cancellationToken);
    }

    /// <summary>Drops an empty namespace.</summary>
    public Task DropNamespaceAsync(string ns, CancellationToken cancellationToken = default) =>
        UpdateRootAsync(root =>
        {
            if (Namespace(root, ns).Tables.Count > 0)
            {
                throw new CatalogException(CatalogErrorKind.NotEmpty, $"Namespace '{ns}' still has tables.");
            }

            root.Namespaces.Remove(ns);
        }, cancellationToken);

    /// <summary>The tables of a namespace, in order.</summary>
    public async Task<IReadOnlyList<string>> ListTablesAsync(string ns, CancellationToken cancellationToken = default) =>
        [.. Namespace((await ReadRootAsync(cancellationToken).ConfigureAwait(false)).Root, ns).Tables.Keys];

    /// <summary>Creates a table with no snapshot.</summary>
    public async Task<LoadedTable> CreateTableAsync(string ns, string name, IcebergSchema schema, PartitionSpec spec, SortOrder sortOrder, IReadOnlyDictionary<string, string>? properties = null, CancellationToken cancellationToken = default)
    {
        ValidateName(name, nameof(name));
        var (root, _) = await ReadRootAsync(cancellationToken).ConfigureAwait(false);
        if (Namespace(root, ns).Tables.ContainsKey(name))
        {
            throw new CatalogException(CatalogErrorKind.AlreadyExists, $"Table '{ns}.{name}' already exists.");
        }

        var metadata = TableMetadata.Create($"{WarehouseLocation}/{ns}/{name}", schema, spec, sortOrder, properties);
        var location = await WriteMetadataAsync(metadata, 0, cancellationToken).ConfigureAwait(false);
        await UpdateRootAsync(r =>
        {
            if (!Namespace(r, ns).Tables.TryAdd(name, location))
            {
                throw new CatalogException(CatalogErrorKind.AlreadyExists, $"Table '{ns}.{name}' already exists.");
            }
        }, cancellationToken).ConfigureAwait(false);
        return new LoadedTable(location, metadata);
    }

    /// <summary>Creates one of IceGate's signal tables.</summary>
    public Task<LoadedTable> CreateTableAsync(string ns, TableDefinition table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        return CreateTableAsync(ns, table.Name, table.Schema, table.Spec, table.SortOrder, null, cancellationToken);
    }

    /// <summary>Loads a table's current metadata.</summary>
    public async Task<LoadedTable> LoadTableAsync(string ns, string name, CancellationToken cancellationToken = default)
    {
        var (root, _) = await ReadRootAsync(cancellationToken).ConfigureAwait(false);
        var location = TableLocation(root, ns, name);
        return new LoadedTable(location, TableMetadata.Parse(await _files.ReadAsync(location, cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>Removes a table from the catalog; its files stay for garbage collection.</summary>
    public Task DropTableAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        UpdateRootAsync(root =>
        {
            if (!Namespace(root, ns).Tables.Remove(name))
            {
                throw new CatalogException(CatalogErrorKind.TableNotFound, $"Table '{ns}.{name}' does not exist.");
            }
        }, cancellationToken);

    /// <summary>
    /// Applies a change as a new metadata version, retrying on conflicting commits. A change whose
    /// idempotency key a retained snapshot already carries, or whose marks the current snapshot has
    /// already reached, is reported as already applied.
    /// </summary>
    public async Task<CommitResult> CommitAsync(string ns, string name, TableUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        for (var attempt = 1; attempt <= _maxCommitAttempts; attempt++)
        {
            var (root, etag) = await ReadRootAsync(cancellationToken).ConfigureAwait(false);
            var location = TableLocation(root, ns, name);
            var current = TableMetadata.Parse(await _files.ReadAsync(location, cancellationToken).ConfigureAwait(false));
            if (update.IdempotencyKey is { } key && current.Snapshots.FirstOrDefault(s => s.Summary.GetValueOrDefault(TableUpdate.IdempotencyKeyProperty) == key) is { } applied)
            {
                return new CommitResult(location, current, applied, AlreadyApplied: true, attempt);
            }

            if (update.IsBehind(current.CurrentSnapshot))
            {
                return new CommitResult(location, current, current.CurrentSnapshot, AlreadyApplied: true, attempt);
            }

            var (next, snapshot) = await _producer.ApplyAsync(current, location, update, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
            var nextLocation = await WriteMetadataAsync(next, VersionOf(location) + 1, cancellationToken).ConfigureAwait(false);
            Namespace(root, ns).Tables[name] = nextLocation;
            if ((await _store.PutAsync(RootKey, root.NextVersion(), etag is null ? PutCondition.IfNoneMatch : PutCondition.IfMatch(etag), cancellationToken).ConfigureAwait(false)).Written)
            {
                return new CommitResult(nextLocation, next, snapshot, AlreadyApplied: false, attempt);
            }

            // Another commit won the swap: jittered pause, then rebuild on its state.
            await Task.Delay(Random.Shared.Next(1 + Math.Min(attempt * 5, 100)), cancellationToken).ConfigureAwait(false);
        }

        throw new CatalogException(CatalogErrorKind.CommitConflict, $"Commit to '{ns}.{name}' lost {_maxCommitAttempts} races in a row.");
    }

    /// <summary>
    /// Files under a table's location that no retained state references (failed or crashed
    /// commits' metadata, manifests and data files; expired snapshots' files; the indexes of all
    /// those data files), last modified
    /// before <paramref name="olderThan"/> so that commits in flight are left alone.
    /// </summary>
    public async Task<IReadOnlyList<string>> FindOrphansAsync(string ns, string name, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var table = await LoadTableAsync(ns, name, cancellationToken).ConfigureAwait(false);
        var referenced = new HashSet<string>(StringComparer.Ordinal) { table.MetadataLocation };
        referenced.UnionWith(table.Metadata.MetadataLog.Select(e => e.MetadataFile));
        foreach (var snapshot in table.Metadata.Snapshots)
        {
            referenced.Add(snapshot.ManifestList);
            foreach (var manifest in await _files.ReadManifestListAsync(snapshot.ManifestList, cancellationToken).ConfigureAwait(false))
            {
                referenced.Add(manifest.ManifestPath);
                // A file a retained snapshot deleted is still live in that snapshot's parent, which
                // references it itself if it is retained too.
                referenced.UnionWith((await _files.ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
                    .Where(e => e.Status != ManifestEntryStatus.Deleted).Select(e => e.File.FilePath));
            }
        }

        var orphans = new List<string>();
        await foreach (var item in _store.ListAllAsync(_files.KeyOf(table.Metadata.Location) + "/", cancellationToken).ConfigureAwait(false))
        {
            // A data file's index lives as long as the data file is referenced.
            var uri = _files.UriOf(item.Key);
            if (!referenced.Contains(IndexKeys.DataFileOf(uri) ?? uri) && item.LastModified < olderThan)
            {
                orphans.Add(uri);
            }
        }

        return orphans;
    }

    internal TableFiles Files => _files;

    private static int VersionOf(string metadataLocation)
    {
        var name = metadataLocation[(metadataLocation.LastIndexOf('/') + 1)..];
        return int.TryParse(name.AsSpan(0, Math.Max(0, name.IndexOf('-'))), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;
    }

    private static void ValidateName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        if (name.AsSpan().IndexOfAny("/\\\0.") >= 0 || name.StartsWith('_'))
        {
            throw new ArgumentException($"'{name}' is not a valid name: no '/', '\\', '.', NUL, or leading '_'.", parameter);
        }
    }

    private static NamespaceEntry Namespace(CatalogRoot root, string ns) =>
        root.Namespaces.TryGetValue(ns, out var entry) ? entry : throw new CatalogException(CatalogErrorKind.NamespaceNotFound, $"Namespace '{ns}' does not exist.");

    private static string TableLocation(CatalogRoot root, string ns, string name) =>
        Namespace(root, ns).Tables.TryGetValue(name, out var location) ? location : throw new CatalogException(CatalogErrorKind.TableNotFound, $"Table '{ns}.{name}' does not exist.");

    private async Task<string> WriteMetadataAsync(TableMetadata metadata, int version, CancellationToken cancellationToken)
    {
        var location = $"{metadata.Location}/metadata/{version:D5}-{Guid.NewGuid():N}.metadata.json";
        await _files.PutNewAsync(location, metadata.ToJson(), cancellationToken).ConfigureAwait(false);
        return location;
    }

    private async Task<(CatalogRoot Root, string? ETag)> ReadRootAsync(CancellationToken cancellationToken)
    {
        var data = await _store.GetAsync(RootKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return data is null ? (new CatalogRoot(), null) : (CatalogRoot.Parse(data.Content), data.ETag);
    }

    private async Task UpdateRootAsync(Action<CatalogRoot> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= _maxCommitAttempts; attempt++)
        {
            var (root, etag) = await ReadRootAsync(cancellationToken).ConfigureAwait(false);
            change(root);
            if ((await _store.PutAsync(RootKey, root.NextVersion(), etag is null ? PutCondition.IfNoneMatch : PutCondition.IfMatch(etag), cancellationToken).ConfigureAwait(false)).Written)
            {
                return;
            }

            await Task.Delay(Random.Shared.Next(1 + Math.Min(attempt * 5, 100)), cancellationToken).ConfigureAwait(false);
        }

        throw new CatalogException(CatalogErrorKind.CommitConflict, $"The catalog root changed under {_maxCommitAttempts} attempts in a row.");
    }
}
