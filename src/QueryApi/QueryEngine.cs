using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IceGate.QueryApi;

/// <summary>
/// Runs tenants' SQL on one shared DuckDB instance. Each query gets its own connection on which the
/// tables it names are temporary views over exactly the files planned for it (the tenant's pruned
/// data files plus WAL segments past the table's mark), filtered to the tenant and time range.
/// DuckDB itself may read only the local cache directory (external access off, configuration
/// locked), and <see cref="SqlAnalyzer"/> refuses anything that could name a file or a setting.
/// </summary>
public sealed class QueryEngine : IDisposable
{
    private const int MaxPlanAttempts = 3;
    private const int MaxIdleConnections = 8;
    private const int MaxCachedAnalyses = 1024;

    private readonly IObjectStore _store;
    private readonly QueryOptions _options;
    private readonly TableCache _tables;
    private readonly ScanPlanner _planner;
    private readonly DuckDBDatabase _database;
    private readonly IndexPruner _indexes;

    // Dashboards repeat statements, and consecutive queries of a tenant plan the same files: a
    // statement's analysis and a connection's views are kept for the next query that needs them.
    private readonly ConcurrentDictionary<string, SqlAnalysis> _analyses = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<QueryConnection> _idle = [];
    private readonly QueryAdmission _admission = new();

    /// <summary>Creates the engine and its DuckDB instance, and empties the cache directory.</summary>
    public QueryEngine(IcebergCatalog catalog, IObjectStore store, string ns, QueryOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _tables = new TableCache(catalog, store, ns);
        _planner = new ScanPlanner(catalog);
        var root = PrepareDirectory(options.CacheDirectory);
        _indexes = new IndexPruner(store, options.ParallelFetches, options.IndexCacheBytes, logger ?? NullLogger.Instance);
        ResultsDirectory = Directory.CreateDirectory(Path.Combine(root, "results")).FullName;
        var settings = new Dictionary<string, string>
        {
            ["memory_limit"] = options.MemoryLimit,
            ["temp_directory"] = Path.Combine(root, "spill"),
            ["autoinstall_known_extensions"] = "false",
            ["autoload_known_extensions"] = "false",
        };
        if (options.Threads > 0)
        {
            settings["threads"] = options.Threads.ToString(CultureInfo.InvariantCulture);
        }

        _database = DuckDBDatabase.OpenInMemory(settings);
        Cache = new ObjectCache(store, Path.Combine(root, "objects"), options.CacheBytes, _database.Connect, options.ParallelFetches);
        using var setup = _database.Connect();

        // DuckDB's own file cache would keep blocks read from a partly cached file (its holes among
        // them) after the cache fills them in: the OS page cache serves local files as well.
        foreach (var statement in (string[])[
            $"SET allowed_directories = ['{Literal(root + Path.DirectorySeparatorChar)}']",
            "SET parquet_metadata_cache = true",
            "SET enable_external_file_cache = false",
            "SET enable_external_access = false",
            "SET lock_configuration = true"])
        {
            using var command = setup.CreateCommand();
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The local copies of data files and WAL segments.</summary>
    public ObjectCache Cache { get; }

    /// <summary>Where Parquet results are written before they are sent.</summary>
    public string ResultsDirectory { get; }

    /// <summary>
    /// Checks the query, plans and fetches its files, and returns a connection on which its tables
    /// are ready to be queried; throws <see cref="QueryException"/> for what the client must fix.
    /// </summary>
    public Task<PreparedQuery> PrepareAsync(SqlQuery query, CancellationToken cancellationToken) => PrepareAsync(query, known: null, cancellationToken);

    /// <summary>
    /// The query checked, on a connection where every table it names is an empty view of that
    /// table's own columns: its result's columns are known without planning or fetching a file.
    /// </summary>
    public Task<PreparedQuery> DescribeAsync(SqlQuery query, CancellationToken cancellationToken) => PrepareAsync(query, known: null, cancellationToken, readsData: false);

    /// <summary>
    /// <see cref="PrepareAsync(SqlQuery, CancellationToken)"/> for a statement IceGate wrote itself,
    /// whose tables and pruning predicates it knows (<paramref name="known"/>): not parsed or checked
    /// again. DuckDB's own limits on the connection still hold.
    /// </summary>
    internal async Task<PreparedQuery> PrepareAsync(SqlQuery query, SqlAnalysis? known, CancellationToken cancellationToken, bool readsData = true)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limits = _options.LimitsFor(query.Tenant);
        var admitted = _admission.Enter(query.Tenant, limits.MaxConcurrentQueries);
        var connection = _idle.TryTake(out var idle) ? idle : new QueryConnection(_database.Connect());
        var counters = new QueryCounters();
        var pinned = new List<ObjectCache.CachedObject>();
        try
        {
            // IceGate's own statements are not checked again, but ranged reads need the columns they name.
            var analysis = known is null ? Analyze(connection.Connection, query.Sql)
                : known.Columns is null && _options.RangedReads ? known with { Columns = SqlAnalyzer.NamedColumns(connection.Connection, query.Sql) }
                : known;
            foreach (var table in TableSchemas.All)
            {
                // A view another query left must not outlive it unless this query wants it as it is.
                var view = !analysis.Tables.Contains(table.Name) ? null
                    : readsData ? ViewSql(query, table, await PlanTableAsync(query, table, analysis.Pruning[table.Name], ColumnsToFetch(table, analysis.Columns, query.FromMicros is not null || query.ToMicros is not null), limits, counters, pinned, cancellationToken).ConfigureAwait(false))
                    : ViewSql(query, table, ([], []));
                connection.SetView(table.Name, view);
            }

            return new PreparedQuery(connection, counters, pinned, admitted, Release);
        }
        catch
        {
            pinned.ForEach(p => p.Dispose());
            connection.Connection.Dispose();
            admitted.Dispose();
            throw;
        }
    }

    private SqlAnalysis Analyze(DuckDBConnection connection, string sql)
    {
        if (_analyses.TryGetValue(sql, out var known))
        {
            return known;
        }

        var analysis = SqlAnalyzer.Analyze(connection, sql);
        if (_analyses.Count >= MaxCachedAnalyses)
        {
            _analyses.Clear();
        }

        _analyses[sql] = analysis;
        return analysis;
    }

    private void Release(QueryConnection connection)
    {
        if (_idle.Count < MaxIdleConnections)
        {
            _idle.Add(connection);
        }
        else
        {
            connection.Connection.Dispose();
        }
    }

    /// <summary>
    /// Plans one table and pins its files: those of the tenant's own partitions, which need no
    /// tenant filter, and shared ones (WAL segments, other partitions when pruning is off), which do.
    /// A WAL segment deleted meanwhile (the table moved on) means planning again.
    /// </summary>
    private async Task<(List<string> Own, List<string> Shared)> PlanTableAsync(SqlQuery query, TableDefinition definition, ScanRequest predicates, IReadOnlySet<string>? columns, QueryLimits limits, QueryCounters counters, List<ObjectCache.CachedObject> pinned, CancellationToken cancellationToken)
    {
        var table = definition.Name;
        for (var attempt = 1; ; attempt++)
        {
            LoadedTable loaded;
            try
            {
                loaded = await _tables.LoadAsync(table, cancellationToken).ConfigureAwait(false);
            }
            catch (CatalogException e) when (e.Kind is CatalogErrorKind.TableNotFound or CatalogErrorKind.NamespaceNotFound)
            {
                return ([], []);
            }

            var request = new ScanRequest
            {
                SnapshotId = query.SnapshotId,
                AsOfMs = query.AsOfMs,
                TenantId = query.Prune ? query.Tenant : null,
                FromMicros = query.Prune ? Later(query.FromMicros, predicates.FromMicros) : null,
                ToMicros = query.Prune ? Earlier(query.ToMicros, predicates.ToMicros) : null,
                Equalities = query.Prune ? predicates.Equalities : new Dictionary<string, object>(),
            };
            ScanPlan plan;
            try
            {
                plan = await _planner.PlanAsync(loaded.Metadata, request, cancellationToken).ConfigureAwait(false);
            }
            catch (CatalogException e) when (e.Kind == CatalogErrorKind.SnapshotNotFound)
            {
                throw new QueryException(404, $"{table}: {e.Message}");
            }

            var files = query.Prune ? await _indexes.PruneAsync(plan.Files, predicates.Needles, cancellationToken).ConfigureAwait(false) : plan.Files;
            var tenantField = loaded.Metadata.CurrentSchema.Field("tenant_id").Id;
            var own = files.Select(f => OnlyHolds(loaded.Metadata.Spec(f.SpecId), tenantField, f, query.Tenant)).ToList();
            var keys = files.Select(f => (Key: _store.KeyOf(f.FilePath), Columns: columns)).ToList();
            var segments = 0;
            var plannedBytes = files.Sum(f => f.FileSizeInBytes);
            if (_options.IncludeWal && query.SnapshotId is null && query.AsOfMs is null)
            {
                var mark = loaded.Metadata.CurrentSnapshot.Mark(WalKeys.Mark) ?? long.MinValue;
                await foreach (var item in _store.ListAllAsync(WalKeys.Prefix(table), cancellationToken).ConfigureAwait(false))
                {
                    if (WalKeys.TryParseOffset(item.Key, out var offset) && offset > mark)
                    {
                        keys.Add((item.Key, null));
                        own.Add(false);
                        segments++;
                        plannedBytes += item.Length;
                    }
                }
            }

            // Refused before a byte is fetched.
            if (limits.MaxBytesScanned > 0 && counters.BytesScanned + plannedBytes > limits.MaxBytesScanned)
            {
                throw new QueryException(400, $"The query would scan {counters.BytesScanned + plannedBytes:N0} bytes of {table}, over the {limits.MaxBytesScanned:N0} that Query:Limits:MaxBytesScanned allows; narrow its time range or filters.");
            }

            var fetched = await FetchAsync(keys, counters, cancellationToken).ConfigureAwait(false);
            if (fetched.Any(f => f is null) && attempt < MaxPlanAttempts)
            {
                fetched.ForEach(f => f?.Dispose());
                continue;
            }

            if (fetched.Any(f => f is null))
            {
                fetched.ForEach(f => f?.Dispose());
                throw new QueryException(503, $"The files of table {table} kept changing while the query was planned; try again.");
            }

            pinned.AddRange(fetched!);
            counters.SnapshotId ??= plan.Snapshot?.SnapshotId;
            counters.FilesConsidered += plan.FilesConsidered;
            counters.FilesPruned += plan.FilesPruned;
            counters.FilesSkippedByIndex += plan.Files.Count - files.Count;
            counters.WalSegments += segments;
            counters.FilesScanned += keys.Count;
            return ([.. fetched.Where((_, i) => own[i]).Select(f => f!.Path)], [.. fetched.Where((_, i) => !own[i]).Select(f => f!.Path)]);
        }
    }

    /// <summary>Whether a data file's partition says it holds only <paramref name="tenant"/>'s rows.</summary>
    private static bool OnlyHolds(PartitionSpec spec, int tenantField, DataFile file, string tenant) =>
        spec.Fields.Select((field, i) => (field, i)).Any(p => p.field.SourceId == tenantField && p.field.Transform == "identity" && p.i < file.Partition.Count && tenant.Equals(file.Partition[p.i]));

    /// <summary>
    /// The top-level columns of <paramref name="table"/>'s data files a statement can read: those it
    /// names, and those the views filter on (the tenant; the timestamp when the query has a time
    /// range); null for every column (the whole file).
    /// </summary>
    private IReadOnlySet<string>? ColumnsToFetch(TableDefinition table, IReadOnlySet<string>? named, bool timeRange)
    {
        if (!_options.RangedReads || named is null)
        {
            return null;
        }

        var columns = table.Schema.Fields.Select(f => f.Name).Where(name => named.Contains(name) || name == "tenant_id" || (timeRange && name == "timestamp")).ToHashSet(StringComparer.Ordinal);
        return columns.Count == table.Schema.Fields.Count ? null : columns;
    }

    private async Task<List<ObjectCache.CachedObject?>> FetchAsync(List<(string Key, IReadOnlySet<string>? Columns)> keys, QueryCounters counters, CancellationToken cancellationToken)
    {
        var fetched = new ObjectCache.CachedObject?[keys.Count];
        try
        {
            await Parallel.ForAsync(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = _options.ParallelFetches, CancellationToken = cancellationToken }, async (i, token) =>
                fetched[i] = await Cache.AcquireAsync(keys[i].Key, keys[i].Columns, counters, token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch
        {
            Array.ForEach(fetched, f => f?.Dispose());
            throw;
        }

        return [.. fetched];
    }

    /// <summary>
    /// The view of a table for this query: the tenant's own files as they are, shared files
    /// filtered to the tenant (so that counts over own files can come from Parquet metadata), and
    /// everything limited to the query's time range.
    /// </summary>
    private static string ViewSql(SqlQuery query, TableDefinition table, (List<string> Own, List<string> Shared) files)
    {
        var (own, shared) = files;
        var parts = new List<string>();
        if (own.Count > 0)
        {
            parts.Add($"SELECT * FROM {ReadParquet(own)}");
        }

        if (shared.Count > 0)
        {
            parts.Add($"SELECT * FROM {ReadParquet(shared)} WHERE tenant_id = '{Literal(query.Tenant)}'");
        }

        if (parts.Count == 0)
        {
            parts.Add($"SELECT {string.Join(", ", table.Schema.Fields.Select(f => $"CAST(NULL AS {f.Type.DuckDBType}) AS \"{f.Name}\""))} WHERE false");
        }

        var sql = new StringBuilder($"CREATE OR REPLACE TEMP VIEW \"{table.Name}\" AS SELECT * FROM ({string.Join(" UNION ALL ", parts)})");
        var conditions = new List<string>();
        if (query.FromMicros is { } from)
        {
            conditions.Add($"\"timestamp\" >= make_timestamp({from.ToString(CultureInfo.InvariantCulture)})");
        }

        if (query.ToMicros is { } to)
        {
            conditions.Add($"\"timestamp\" < make_timestamp({to.ToString(CultureInfo.InvariantCulture)})");
        }

        if (conditions.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        }

        return sql.ToString();
    }

    private static string ReadParquet(List<string> files) => $"read_parquet([{string.Join(", ", files.Select(f => $"'{Literal(f)}'"))}], hive_partitioning = false)";

    /// <summary>
    /// This process's own directory under <paramref name="parent"/> (processes on one machine may
    /// share the setting), emptied; directories of processes no longer running are removed.
    /// </summary>
    private static string PrepareDirectory(string parent)
    {
        var root = Path.Combine(Path.GetFullPath(parent), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(parent))
        {
            foreach (var directory in Directory.GetDirectories(parent))
            {
                if (directory == root || (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid)))
                {
                    try
                    {
                        Directory.Delete(directory, recursive: true);
                    }
                    catch (IOException)
                    {
                        // Another process starting at the same time is removing it too.
                    }
                }
            }
        }

        return Directory.CreateDirectory(root).FullName;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Literal(string text) => text.Replace("'", "''", StringComparison.Ordinal);

    private static long? Later(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static long? Earlier(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <inheritdoc />
    public void Dispose() => _database.Dispose();
}

/// <summary>A DuckDB connection of the engine and the views it currently has.</summary>
internal sealed class QueryConnection(DuckDBConnection connection)
{
    private readonly Dictionary<string, string> _views = new(StringComparer.Ordinal);

    public DuckDBConnection Connection { get; } = connection;

    /// <summary>Makes <paramref name="table"/> the view <paramref name="sql"/> (a CREATE VIEW statement), or drops it for null.</summary>
    public void SetView(string table, string? sql)
    {
        if (sql is null ? !_views.Remove(table) : _views.GetValueOrDefault(table) == sql)
        {
            return;
        }

        // Forgotten first: if the statement fails, the connection is discarded, not reused.
        _views.Remove(table);
        using var command = Connection.CreateCommand();
        command.CommandText = sql ?? $"DROP VIEW IF EXISTS \"{table}\"";
        command.ExecuteNonQuery();
        if (sql is not null)
        {
            _views[table] = sql;
        }
    }
}

/// <summary>A query ready to run: its connection with the views, and the pinned files they read.</summary>
public sealed class PreparedQuery : IDisposable
{
    private readonly QueryConnection _connection;
    private readonly List<ObjectCache.CachedObject> _pinned;
    private readonly Action<QueryConnection> _release;
    private readonly IDisposable _admitted;

    internal PreparedQuery(QueryConnection connection, QueryCounters counters, List<ObjectCache.CachedObject> pinned, IDisposable admitted, Action<QueryConnection> release)
    {
        _connection = connection;
        Counters = counters;
        _pinned = pinned;
        _admitted = admitted;
        _release = release;
    }

    /// <summary>The connection on which the tables are this query's views.</summary>
    public DuckDBConnection Connection => _connection.Connection;

    /// <summary>What planning did; the writer adds the rows.</summary>
    public QueryCounters Counters { get; }

    /// <summary>Unpins the files and hands the connection back for reuse (close its readers first).</summary>
    public void Dispose()
    {
        _pinned.ForEach(p => p.Dispose());
        _release(_connection);
        _admitted.Dispose();
    }
}
