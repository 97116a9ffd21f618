using System.Globalization;
using IceGate.Catalog;
using IceGate.Ingest.Shift;
using IceGate.Ingest.Wal;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace IceGate.Ingest.Tests;

/// <summary>WAL segments on a real local store shifted into the real catalog's logs table.</summary>
public sealed class ShiftTests : IDisposable
{
    private const string Namespace = "icegate";
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-shift-").FullName;
    private readonly LocalObjectStore _local;
    private readonly IcebergCatalog _catalog;

    public ShiftTests()
    {
        _local = new LocalObjectStore(_directory);
        _catalog = new IcebergCatalog(_local);
        _catalog.CreateNamespaceAsync(Namespace).GetAwaiter().GetResult();
        _catalog.CreateTableAsync(Namespace, TableSchemas.Logs).GetAwaiter().GetResult();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Settled_segments_become_one_file_per_partition_and_the_mark_covers_them()
    {
        var offsets = await WriteSegmentsAsync(_local, segments: 6, rowsPerSegment: 500, tenants: ["acme", "globex"], days: 2);
        var expected = Checksum(WalGlob());
        var worker = Worker(_local, new ShiftOptions { TaskInputBytes = 1 });

        await RunUntilIdleAsync([worker]);

        var table = await _catalog.LoadTableAsync(Namespace, "logs", TestContext.Current.CancellationToken);
        var snapshot = table.Metadata.CurrentSnapshot!;
        Assert.True(snapshot.Mark(WalKeys.Mark) >= offsets.Max());
        Assert.Equal(1, worker.Commits);
        var files = (await new ScanPlanner(_catalog).PlanAsync(table.Metadata, new ScanRequest(), TestContext.Current.CancellationToken)).Files;

        // Six tasks (one segment each), each holding rows of two tenants and two days.
        Assert.Equal(6 * 4, files.Count);
        Assert.All(files, f => Assert.Equal(2, f.Partition.Count));
        Assert.Equal(expected, Checksum(files));
        Assert.Equal(3000L, files.Sum(f => f.RecordCount));
    }

    [Fact]
    public async Task Segments_newer_than_the_settle_time_wait_and_committed_ones_are_deleted_after_the_grace()
    {
        var old = await WriteSegmentsAsync(_local, segments: 2, rowsPerSegment: 100, tenants: ["acme"], days: 1);
        var fresh = WalKeys.NowMicros();
        await PutSegmentAsync(_local, fresh, "acme", 100, seed: 99);
        var worker = Worker(_local, new ShiftOptions { SettleTime = TimeSpan.FromMinutes(5), WalGrace = TimeSpan.Zero });

        await RunUntilIdleAsync([worker]);

        var table = await _catalog.LoadTableAsync(Namespace, "logs", TestContext.Current.CancellationToken);
        var mark = table.Metadata.CurrentSnapshot!.Mark(WalKeys.Mark)!.Value;
        Assert.InRange(mark, old.Max(), fresh - 1);
        Assert.Equal(200L, table.Metadata.CurrentSnapshot!.Summary.GetValueOrDefault("total-records") is { } total ? long.Parse(total, CultureInfo.InvariantCulture) : 0);

        // The next step deletes what is committed; the fresh segment stays for a later plan.
        await worker.StepAsync(TestContext.Current.CancellationToken);
        var left = await _local.ListAllAsync(WalKeys.Prefix("logs")).Select(o => o.Key).ToListAsync();
        Assert.Equal([WalKeys.SegmentKey("logs", fresh)], left);
        Assert.True(worker.Lag > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_task_whose_worker_died_is_taken_over_once_its_lease_runs_out()
    {
        await WriteSegmentsAsync(_local, segments: 2, rowsPerSegment: 200, tenants: ["acme"], days: 1);
        var expected = Checksum(WalGlob());
        var options = new ShiftOptions { LeaseDuration = TimeSpan.FromMilliseconds(300) };
        var doomed = Worker(_local, options);

        // The doomed worker plans, then claims the first task and dies before finishing it.
        Assert.True(await doomed.StepAsync(TestContext.Current.CancellationToken));
        var (job, etag) = await ShiftJob.ReadAsync(_local, "logs", TestContext.Current.CancellationToken);
        var claimed = job!.Plan!.Tasks[0] with { Owner = "dead-worker", LeaseUntilMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 300, Attempts = 1 };
        Assert.True(await ShiftJob.TrySwapAsync(_local, "logs", job.Plan.With(claimed), etag, TestContext.Current.CancellationToken));

        await Task.Delay(400, TestContext.Current.CancellationToken);
        var survivor = Worker(_local, options);
        await RunUntilIdleAsync([survivor]);

        Assert.Equal(1, survivor.Takeovers);
        var table = await _catalog.LoadTableAsync(Namespace, "logs", TestContext.Current.CancellationToken);
        var files = (await new ScanPlanner(_catalog).PlanAsync(table.Metadata, new ScanRequest(), TestContext.Current.CancellationToken)).Files;
        Assert.Equal(expected, Checksum(files));
    }

    [Fact]
    public async Task A_task_that_keeps_failing_is_split_until_everything_but_the_bad_segment_is_shifted()
    {
        var offsets = await WriteSegmentsAsync(_local, segments: 4, rowsPerSegment: 100, tenants: ["acme"], days: 1);
        var corrupt = WalKeys.SegmentKey("logs", offsets[1]);
        await _local.PutAsync(corrupt, "not parquet at all"u8.ToArray());
        var worker = Worker(_local, new ShiftOptions());

        for (var step = 0; step < 30; step++)
        {
            await worker.StepAsync(TestContext.Current.CancellationToken);
        }

        var (job, _) = await ShiftJob.ReadAsync(_local, "logs", TestContext.Current.CancellationToken);
        var tasks = job!.Plan!.Tasks;
        Assert.True(tasks.Count >= 3, $"{tasks.Count} tasks");
        Assert.All(tasks.Where(t => !t.Segments.Contains(corrupt)), t => Assert.NotNull(t.Manifest));
        var stuck = Assert.Single(tasks, t => t.Segments.Contains(corrupt));
        Assert.Equal([corrupt], stuck.Segments);
        Assert.Null(stuck.Manifest);
        Assert.Null(stuck.Owner);
        Assert.Equal(0, worker.Commits);
    }

    [Fact]
    public async Task Competing_workers_on_a_store_failing_five_percent_of_requests_commit_every_row_exactly_once()
    {
        await WriteSegmentsAsync(_local, segments: 40, rowsPerSegment: 150, tenants: ["acme", "globex", "initech"], days: 2);
        var expected = Checksum(WalGlob());
        var faults = new FaultPlan { ErrorRate = 0.05, LostResponseRate = 0.05, LatencyRate = 0.05, MaxLatency = TimeSpan.FromMilliseconds(50) };
        var workers = Enumerable.Range(0, 3).Select(i => Worker(
            new RetryingObjectStore(new FaultInjectingObjectStore(_local, faults, seed: 17 + i)),
            new ShiftOptions { TaskInputBytes = 64 << 10, MaxPlanSegments = 12, LeaseDuration = TimeSpan.FromSeconds(5) })).ToList();

        await RunUntilIdleAsync(workers);

        var table = await _catalog.LoadTableAsync(Namespace, "logs", TestContext.Current.CancellationToken);
        var files = (await new ScanPlanner(_catalog).PlanAsync(table.Metadata, new ScanRequest(), TestContext.Current.CancellationToken)).Files;
        Assert.Equal(expected, Checksum(files));
        Assert.True(workers.Sum(w => w.Commits) >= 4, "40 segments at 12 per plan take at least four plans");
    }

    [Fact]
    public async Task Compaction_and_retention_leave_every_row_but_those_of_expired_partitions()
    {
        var token = TestContext.Current.CancellationToken;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await WriteSegmentsAsync(_local, segments: 8, rowsPerSegment: 120, tenants: ["acme", "globex"], days: 2, firstDay: today.AddDays(-10));
        await RunUntilIdleAsync([Worker(_local, new ShiftOptions { MaxPlanSegments = 1 })]);
        var before = await CurrentFilesAsync();
        Assert.Equal(4 * 8, before.Count);
        var expired = $"tenant_id = 'globex' AND CAST(\"timestamp\" AS DATE) = DATE '{today.AddDays(-10):yyyy-MM-dd}'";
        var expected = Checksum(Paths(before), $"NOT ({expired})");
        Assert.NotEqual(expected, Checksum(before));

        var options = new MaintenanceOptions { CompactMinFiles = 2, SnapshotRetention = TimeSpan.Zero, RetainSnapshots = 1, OrphanGrace = TimeSpan.Zero };
        options.TenantRetentionDays["logs"] = new Dictionary<string, int> { ["globex"] = 9 };
        var maintainer = new TableMaintainer(_local, _catalog, Namespace, "logs", options, new ShiftOptions { ScratchDirectory = Path.Combine(_directory, "scratch") }, new IndexOptions(), NullLogger.Instance);
        await maintainer.MaintainAsync(DateTimeOffset.UtcNow, token);

        // Snapshots the first round made still reference the replaced files; the next round expires them.
        await Task.Delay(10, token);
        await maintainer.MaintainAsync(DateTimeOffset.UtcNow, token);

        var after = await CurrentFilesAsync();
        Assert.Equal(3, after.Count);
        Assert.Equal(expected, Checksum(after));
        Assert.Equal(1, maintainer.PartitionsExpired);
        Assert.Equal(3 * 8, maintainer.FilesCompacted);
        Assert.All(before, f => Assert.False(File.Exists(new Uri(f.FilePath).LocalPath), $"{f.FilePath} outlived its snapshots"));

        // Each data file has its skipping index beside it, and the index goes with the file.
        Assert.All(after, f => Assert.True(File.Exists(IndexKeys.ForDataFile(new Uri(f.FilePath).LocalPath)), $"{f.FilePath} has no index"));
        Assert.All(before, f => Assert.False(File.Exists(IndexKeys.ForDataFile(new Uri(f.FilePath).LocalPath)), $"the index of {f.FilePath} outlived it"));
        Assert.True(maintainer.OrphansDeleted >= before.Count);
        var table = (await _catalog.LoadTableAsync(Namespace, "logs", token)).Metadata;
        Assert.Single(table.Snapshots);
        Assert.NotNull(table.CurrentSnapshot.Mark(WalKeys.Mark));
    }

    [Fact]
    public async Task Maintenance_indexes_data_files_written_without_one_a_few_per_round()
    {
        var token = TestContext.Current.CancellationToken;
        await WriteSegmentsAsync(_local, segments: 3, rowsPerSegment: 100, tenants: ["acme", "globex"], days: 2, firstDay: DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-3));
        var unindexed = new ShiftWorker(_local, _catalog, Namespace, "logs", new ShiftOptions { MaxPlanSegments = 1, ScratchDirectory = Path.Combine(_directory, "scratch") }, new IndexOptions { Enabled = false }, NullLogger.Instance);
        await RunUntilIdleAsync([unindexed]);
        var files = await CurrentFilesAsync();
        Assert.Equal(3 * 4, files.Count);
        Assert.All(files, f => Assert.False(File.Exists(IndexKeys.ForDataFile(new Uri(f.FilePath).LocalPath))));

        // No compaction or expiry in the way: only the backfill acts, five files per round.
        var options = new MaintenanceOptions { CompactMinFiles = 1000, IndexBackfillFiles = 5 };
        var maintainer = new TableMaintainer(_local, _catalog, Namespace, "logs", options, new ShiftOptions { ScratchDirectory = Path.Combine(_directory, "scratch") }, new IndexOptions(), NullLogger.Instance);
        await maintainer.MaintainAsync(DateTimeOffset.UtcNow, token);
        Assert.Equal(5, maintainer.FilesIndexed);
        await maintainer.MaintainAsync(DateTimeOffset.UtcNow, token);
        await maintainer.MaintainAsync(DateTimeOffset.UtcNow, token);
        Assert.Equal(files.Count, maintainer.FilesIndexed);
        foreach (var file in files)
        {
            var index = FileIndex.Deserialize(await File.ReadAllBytesAsync(IndexKeys.ForDataFile(new Uri(file.FilePath).LocalPath)!, token));
            Assert.True(index.Filters.ContainsKey(FileIndex.TraceId));
        }

        await maintainer.MaintainAsync(DateTimeOffset.UtcNow, token);
        Assert.Equal(files.Count, maintainer.FilesIndexed);
    }

    private async Task<IReadOnlyList<DataFile>> CurrentFilesAsync()
    {
        var table = await _catalog.LoadTableAsync(Namespace, "logs", TestContext.Current.CancellationToken);
        return (await new ScanPlanner(_catalog).PlanAsync(table.Metadata, new ScanRequest(), TestContext.Current.CancellationToken)).Files;
    }

    private ShiftWorker Worker(IObjectStore store, ShiftOptions options)
    {
        options.ScratchDirectory = Path.Combine(_directory, "scratch");
        return new ShiftWorker(store, new IcebergCatalog(store), Namespace, "logs", options, new IndexOptions(), NullLogger.Instance);
    }

    /// <summary>Steps the workers concurrently until a round in which none had anything to do.</summary>
    private static async Task RunUntilIdleAsync(IReadOnlyList<ShiftWorker> workers)
    {
        var idleRounds = 0;
        for (var round = 0; round < 2000 && idleRounds < 3; round++)
        {
            var progressed = await Task.WhenAll(workers.Select(async w =>
            {
                try
                {
                    return await w.StepAsync(TestContext.Current.CancellationToken);
                }
                catch (Exception e) when (e is ObjectStoreException or CatalogException)
                {
                    // Faults that outlast the retries: the worker's loop would log and carry on.
                    return true;
                }
            }));
            idleRounds = progressed.Any(p => p) ? 0 : idleRounds + 1;
            if (idleRounds > 0)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }

        Assert.Equal(3, idleRounds);
    }

    /// <summary>Segments at offsets an hour old (settled), rows spread over tenants and consecutive days.</summary>
    private static async Task<List<long>> WriteSegmentsAsync(IObjectStore store, int segments, int rowsPerSegment, string[] tenants, int days, DateOnly? firstDay = null)
    {
        var offsets = new List<long>();
        var start = WalKeys.NowMicros() - 3_600_000_000L;
        for (var i = 0; i < segments; i++)
        {
            var offset = start + (i * 1000);
            var sources = tenants.SelectMany((tenant, t) => Enumerable.Range(0, days).Select(d => SampleRows.Logs(tenant, (firstDay ?? new DateOnly(2024, 3, 1)).AddDays(d), rowsPerSegment / (tenants.Length * days), seed: (i * 1000) + (t * 100) + d)));
            await PutSegmentAsync(store, offset, string.Join(" UNION ALL ", sources.Select(s => $"SELECT * FROM {s}")));
            offsets.Add(offset);
        }

        return offsets;
    }

    private static Task PutSegmentAsync(IObjectStore store, long offset, string tenant, int rows, int seed) =>
        PutSegmentAsync(store, offset, $"SELECT * FROM {SampleRows.Logs(tenant, new DateOnly(2024, 3, 1), rows, seed)}");

    private static async Task PutSegmentAsync(IObjectStore store, long offset, string select)
    {
        var path = Path.Combine(Path.GetTempPath(), $"segment-{Guid.NewGuid():N}.parquet");
        using (var duck = new DuckDBConnection())
        {
            duck.Open();
            using var command = new DuckDBCommand($"COPY ({select}) TO '{path}' (FORMAT parquet, FIELD_IDS {TableSchemas.Logs.Schema.DuckDBFieldIds()})", duck);
            command.ExecuteNonQuery();
        }

        await store.PutAsync(WalKeys.SegmentKey("logs", offset), await File.ReadAllBytesAsync(path), PutCondition.IfNoneMatch);
        File.Delete(path);
    }

    private string WalGlob() => $"'{Path.Combine(_directory, "objects", "wal", "logs")}/*.parquet'";

    /// <summary>
    /// Row count and an order-independent hash over every column: equal only if the rows are the same
    /// multiset. Data file paths look like Hive partitions, which DuckDB would add as columns.
    /// </summary>
    private static string Checksum(string source, string where = "true")
    {
        using var duck = new DuckDBConnection();
        duck.Open();
        using var command = new DuckDBCommand($"SELECT count(*)::VARCHAR || '/' || coalesce(sum(hash(r))::VARCHAR, '') FROM read_parquet([{source}], hive_partitioning = false) AS r WHERE {where}", duck);
        return (string)command.ExecuteScalar()!;
    }

    private static string Checksum(IReadOnlyList<DataFile> files) => Checksum(Paths(files));

    private static string Paths(IReadOnlyList<DataFile> files) => string.Join(", ", files.Select(f => $"'{new Uri(f.FilePath).LocalPath}'"));
}
