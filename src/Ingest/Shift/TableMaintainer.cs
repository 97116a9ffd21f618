using System.Globalization;
using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace IceGate.Ingest.Shift;

/// <summary>
/// Keeps one table in shape: drops partitions past their retention (delete commits), rewrites a
/// partition's small files into larger sorted ones (replace commits, which fail harmlessly if a
/// concurrent commit removed an input), expires old snapshots and deletes files nothing references.
/// Any process may run one; a lease object (<c>jobs/maintain/&lt;table&gt;.json</c>, changed by
/// compare-and-swap) lets one at a time do the work.
/// </summary>
public sealed partial class TableMaintainer
{
    private readonly IObjectStore _store;
    private readonly IcebergCatalog _catalog;
    private readonly string _namespace;
    private readonly string _table;
    private readonly MaintenanceOptions _options;
    private readonly ShiftOptions _workspace;
    private readonly IndexOptions _index;

    // Live data files known to have their index, so that each is looked up once per process.
    private readonly HashSet<string> _indexed = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly string _owner = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    private long _filesCompacted;
    private long _partitionsExpired;
    private long _orphansDeleted;
    private long _filesIndexed;

    /// <summary>A maintainer of <paramref name="ns"/>.<paramref name="table"/>.</summary>
    /// <remarks><paramref name="workspace"/> gives the scratch directory and DuckDB memory limit it shares with the shift.</remarks>
    public TableMaintainer(IObjectStore store, IcebergCatalog catalog, string ns, string table, MaintenanceOptions options, ShiftOptions workspace, IndexOptions index, ILogger logger)
    {
        _index = index;
        _store = store;
        _catalog = catalog;
        _namespace = ns;
        _table = table;
        _options = options;
        _workspace = workspace;
        _logger = logger;
    }

    /// <summary>The table maintained.</summary>
    public string Table => _table;

    /// <summary>Small files this process replaced by compacted ones.</summary>
    public long FilesCompacted => Interlocked.Read(ref _filesCompacted);

    /// <summary>Partitions this process dropped for retention.</summary>
    public long PartitionsExpired => Interlocked.Read(ref _partitionsExpired);

    /// <summary>Unreferenced files this process deleted.</summary>
    public long OrphansDeleted => Interlocked.Read(ref _orphansDeleted);

    /// <summary>Data files written without a skipping index that this process indexed.</summary>
    public long FilesIndexed => Interlocked.Read(ref _filesIndexed);

    /// <summary>Maintains the table every <see cref="MaintenanceOptions.Interval"/> while it holds the lease.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await TryLeaseAsync(stoppingToken).ConfigureAwait(false))
                {
                    await MaintainAsync(DateTimeOffset.UtcNow, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(_logger, _table, e);
            }

            try
            {
                await Task.Delay(_options.Interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round: retention, compaction, snapshot expiry, orphan collection.</summary>
    public async Task MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var table = (await _catalog.LoadTableAsync(_namespace, _table, cancellationToken).ConfigureAwait(false)).Metadata;
        var files = (await new ScanPlanner(_catalog).PlanAsync(table, new ScanRequest(), cancellationToken).ConfigureAwait(false)).Files;
        var partitions = files.GroupBy(f => (Tenant: (string)f.Partition[0]!, Day: Convert.ToInt64(f.Partition[1], CultureInfo.InvariantCulture))).ToList();

        var today = (long)Math.Floor((now - DateTimeOffset.UnixEpoch).TotalDays);
        var expired = partitions.Where(p => _options.RetentionFor(_table, p.Key.Tenant) is { } days && p.Key.Day < today - days).ToList();
        if (expired.Count > 0)
        {
            await _catalog.CommitAsync(_namespace, _table, new DeleteFiles(expired.SelectMany(p => p).Select(f => f.FilePath).ToList()), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _partitionsExpired, expired.Count);
            LogExpired(_logger, _table, expired.Count, expired.Sum(p => p.Count()));
        }

        foreach (var partition in partitions.Except(expired))
        {
            var small = partition.Where(f => f.FileSizeInBytes < _options.TargetFileBytes).OrderBy(f => f.FileSizeInBytes).ToList();
            if (small.Count >= _options.CompactMinFiles)
            {
                await CompactAsync(table, partition.Key.Tenant, partition.Key.Day, small, cancellationToken).ConfigureAwait(false);
            }
        }

        // Expiry writes a metadata version, so only when some snapshot is due.
        var current = (await _catalog.LoadTableAsync(_namespace, _table, cancellationToken).ConfigureAwait(false)).Metadata;
        var cutoff = (now - _options.SnapshotRetention).ToUnixTimeMilliseconds();
        if (current.Snapshots.Take(current.Snapshots.Count - _options.RetainSnapshots).Any(s => s.SnapshotId != current.CurrentSnapshotId && s.TimestampMs < cutoff))
        {
            await _catalog.CommitAsync(_namespace, _table, new ExpireSnapshots(cutoff, _options.RetainSnapshots), cancellationToken).ConfigureAwait(false);
        }

        await BackfillIndexesAsync(current, cancellationToken).ConfigureAwait(false);
        foreach (var orphan in await _catalog.FindOrphansAsync(_namespace, _table, now - _options.OrphanGrace, cancellationToken).ConfigureAwait(false))
        {
            await _store.DeleteAsync(_store.KeyOf(orphan), cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _orphansDeleted);
        }
    }

    /// <summary>Gives up to <see cref="MaintenanceOptions.IndexBackfillFiles"/> live data files without a skipping index theirs.</summary>
    private async Task BackfillIndexesAsync(TableMetadata table, CancellationToken cancellationToken)
    {
        if (!_index.Enabled)
        {
            return;
        }

        var files = (await new ScanPlanner(_catalog).PlanAsync(table, new ScanRequest(), cancellationToken).ConfigureAwait(false)).Files;
        _indexed.IntersectWith(files.Select(f => f.FilePath));
        var scratch = Path.Combine(_workspace.ScratchDirectory, $"index-{Guid.NewGuid():N}");
        var built = 0;
        try
        {
            foreach (var file in files.Where(f => !_indexed.Contains(f.FilePath)))
            {
                var key = _store.KeyOf(file.FilePath);
                if (built >= _options.IndexBackfillFiles || IndexKeys.ForDataFile(key) is not { } indexKey)
                {
                    break;
                }

                if (await _store.HeadAsync(indexKey, cancellationToken).ConfigureAwait(false) is null
                    && await _store.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false) is { } data)
                {
                    Directory.CreateDirectory(scratch);
                    var local = Path.Combine(scratch, "file.parquet");
                    await File.WriteAllBytesAsync(local, data.Content.ToArray(), cancellationToken).ConfigureAwait(false);
                    using (var duck = new DuckDBConnection(_workspace.DuckDBConnectionString))
                    {
                        duck.Open();
                        await _store.PutAsync(indexKey, DataFileUpload.Index(duck, TableDefinition.Named(_table), local, _index)!.Serialize(), PutCondition.IfNoneMatch, cancellationToken).ConfigureAwait(false);
                    }

                    built++;
                    Interlocked.Increment(ref _filesIndexed);
                }

                _indexed.Add(file.FilePath);
            }
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    /// <summary>Rewrites small files of one partition into files of about the target size, sorted, in one replace commit.</summary>
    private async Task CompactAsync(TableMetadata table, string tenant, long day, List<DataFile> small, CancellationToken cancellationToken)
    {
        var scratch = Directory.CreateDirectory(Path.Combine(_workspace.ScratchDirectory, $"compact-{Guid.NewGuid():N}")).FullName;
        try
        {
            var bins = new List<List<DataFile>> { new() };
            long binBytes = 0;
            foreach (var file in small)
            {
                if (bins[^1].Count > 0 && binBytes + file.FileSizeInBytes > _options.TargetFileBytes)
                {
                    bins.Add([]);
                    binBytes = 0;
                }

                bins[^1].Add(file);
                binBytes += file.FileSizeInBytes;
            }

            var removed = new List<string>();
            var added = new List<DataFile>();
            using var duck = new DuckDBConnection(_workspace.DuckDBConnectionString);
            duck.Open();
            foreach (var bin in bins.Where(b => b.Count > 1))
            {
                var inputs = new List<string>();
                foreach (var file in bin)
                {
                    var data = await _store.GetAsync(_store.KeyOf(file.FilePath), cancellationToken: cancellationToken).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"Data file {file.FilePath} is missing.");
                    var path = Path.Combine(scratch, $"in-{inputs.Count}.parquet");
                    await File.WriteAllBytesAsync(path, data.Content.ToArray(), cancellationToken).ConfigureAwait(false);
                    inputs.Add($"'{path}'");
                }

                var output = Path.Combine(scratch, $"out-{added.Count}.parquet");
                var uri = DataFileUri(table, tenant, day, $"compacted-{Guid.NewGuid():N}");
                if (ParquetDataFileWriter.Write(duck, table, $"read_parquet([{string.Join(", ", inputs)}], hive_partitioning = false)", output, uri) is { } compacted)
                {
                    await DataFileUpload.PutAsync(_store, compacted, output, DataFileUpload.Index(duck, TableDefinition.Named(_table), output, _index), cancellationToken).ConfigureAwait(false);
                    added.Add(compacted);
                    removed.AddRange(bin.Select(f => f.FilePath));
                }
            }

            if (removed.Count == 0)
            {
                return;
            }

            try
            {
                await _catalog.CommitAsync(_namespace, _table, new ReplaceFiles(removed, added), cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _filesCompacted, removed.Count);
                LogCompacted(_logger, _table, tenant, day, removed.Count, added.Count);
            }
            catch (CatalogException e) when (e.Kind == CatalogErrorKind.CommitConflict)
            {
                // An input went away meanwhile (retention, another compaction): the new files become orphans.
                LogCompactionLost(_logger, _table, tenant, day, e.Message);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>Where a data file of a partition goes in the table.</summary>
    internal static string DataFileUri(TableMetadata table, string tenant, long day, string name) =>
        $"{table.Location}/data/tenant_id={Uri.EscapeDataString(tenant)}/timestamp_day={day.ToString(CultureInfo.InvariantCulture)}/{name}.parquet";

    /// <summary>Takes or renews the table's maintenance lease; false while another process holds it.</summary>
    private async Task<bool> TryLeaseAsync(CancellationToken cancellationToken)
    {
        var key = $"jobs/maintain/{_table}.json";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (lease, etag) = await SwappedDocument.ReadAsync<MaintenanceLease>(_store, key, cancellationToken).ConfigureAwait(false);
        if (lease is not null && lease.Owner != _owner && lease.UntilMs > now)
        {
            return false;
        }

        var renewed = new MaintenanceLease(_owner, now + (long)(_options.Interval.TotalMilliseconds * 3), Guid.NewGuid().ToString("N"));
        return await SwappedDocument.TrySwapAsync(_store, key, renewed, etag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Who maintains a table until when; the write id makes every write's content unique.</summary>
    private sealed record MaintenanceLease(string Owner, long UntilMs, string WriteId);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Maintenance {Table}: dropped {Partitions} expired partitions ({Files} files)")]
    private static partial void LogExpired(ILogger logger, string table, int partitions, int files);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Maintenance {Table}: compacted {Removed} files of {Tenant}/{Day} into {Added}")]
    private static partial void LogCompacted(ILogger logger, string table, string tenant, long day, int removed, int added);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "Maintenance {Table}: compaction of {Tenant}/{Day} lost to a concurrent commit: {Reason}")]
    private static partial void LogCompactionLost(ILogger logger, string table, string tenant, long day, string reason);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Maintenance {Table}: a round failed; retrying later")]
    private static partial void LogFailed(ILogger logger, string table, Exception exception);
}
