using System.Diagnostics;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;

namespace IceGate.Catalog.Tests;

/// <summary>The catalog's behaviour, run against each real store.</summary>
public abstract class CatalogContract
{
    protected const string Ns = "icegate";

    protected abstract IObjectStore Store { get; }

    /// <summary>How a contender process reaches the same store (local:… or s3:…).</summary>
    protected abstract string ContenderStore { get; }

    protected abstract string ScratchDirectory { get; }

    private CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Namespaces_and_tables_are_created_listed_loaded_and_dropped()
    {
        var catalog = new IcebergCatalog(Store);
        await catalog.CreateNamespaceAsync(Ns, new Dictionary<string, string> { ["owner"] = "ops" }, Token);
        await catalog.CreateNamespaceAsync("other", cancellationToken: Token);
        Assert.Equal(["icegate", "other"], await catalog.ListNamespacesAsync(Token));
        Assert.Equal("ops", (await catalog.LoadNamespaceAsync(Ns, Token))["owner"]);
        Assert.Equal(CatalogErrorKind.AlreadyExists, (await Assert.ThrowsAsync<CatalogException>(() => catalog.CreateNamespaceAsync(Ns, cancellationToken: Token))).Kind);

        foreach (var table in TableSchemas.All)
        {
            await catalog.CreateTableAsync(Ns, table, Token);
        }

        Assert.Equal(["logs", "metrics", "spans"], await catalog.ListTablesAsync(Ns, Token));
        var spans = await catalog.LoadTableAsync(Ns, "spans", Token);
        Assert.Equal(TableSchemas.Spans.Schema, spans.Metadata.CurrentSchema);
        Assert.Equal($"{Store.Location}/warehouse/icegate/spans", spans.Metadata.Location);
        Assert.StartsWith($"{spans.Metadata.Location}/metadata/00000-", spans.MetadataLocation, StringComparison.Ordinal);
        Assert.Null(spans.Metadata.CurrentSnapshot);

        Assert.Equal(CatalogErrorKind.AlreadyExists, (await Assert.ThrowsAsync<CatalogException>(() => catalog.CreateTableAsync(Ns, TableSchemas.Logs, Token))).Kind);
        Assert.Equal(CatalogErrorKind.NotEmpty, (await Assert.ThrowsAsync<CatalogException>(() => catalog.DropNamespaceAsync(Ns, Token))).Kind);
        Assert.Equal(CatalogErrorKind.TableNotFound, (await Assert.ThrowsAsync<CatalogException>(() => catalog.LoadTableAsync(Ns, "nope", Token))).Kind);
        Assert.Equal(CatalogErrorKind.NamespaceNotFound, (await Assert.ThrowsAsync<CatalogException>(() => catalog.ListTablesAsync("nope", Token))).Kind);
        await Assert.ThrowsAsync<ArgumentException>(() => catalog.CreateNamespaceAsync("../escape", cancellationToken: Token));

        await catalog.DropTableAsync(Ns, "spans", Token);
        Assert.Equal(["logs", "metrics"], await catalog.ListTablesAsync(Ns, Token));
        await catalog.DropNamespaceAsync("other", Token);
        Assert.Equal(["icegate"], await catalog.ListNamespacesAsync(Token));
    }

    [Fact]
    public async Task Appends_produce_snapshots_whose_summaries_and_plans_account_for_every_file()
    {
        var (catalog, location) = await CreateLogsAsync();
        var first = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "a", records: 5), SyntheticFiles.Logs(location, "b", records: 7)]), Token);
        var second = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "c", records: 11)]) { SummaryProperties = new Dictionary<string, string> { ["icegate.wal-mark"] = "42" } }, Token);

        Assert.Equal("append", second.Snapshot!.Operation);
        Assert.Equal(first.Snapshot!.SnapshotId, second.Snapshot.ParentSnapshotId);
        Assert.Equal(2, second.Snapshot.SequenceNumber);
        Assert.Equal("3", second.Snapshot.Summary["total-data-files"]);
        Assert.Equal("23", second.Snapshot.Summary["total-records"]);
        Assert.Equal("1", second.Snapshot.Summary["added-data-files"]);
        Assert.Equal("42", second.Snapshot.Summary["icegate.wal-mark"]);

        var loaded = await catalog.LoadTableAsync(Ns, "logs", Token);
        Assert.Equal(second.MetadataLocation, loaded.MetadataLocation);
        Assert.Equal(2, loaded.Metadata.MetadataLog.Count);
        var plan = await new ScanPlanner(catalog).PlanAsync(loaded.Metadata, new ScanRequest(), Token);
        Assert.Equal(["a", "b", "c"], plan.Files.Select(Name).Order());
    }

    [Fact]
    public async Task Time_travel_returns_exactly_an_older_snapshots_files()
    {
        var (catalog, location) = await CreateLogsAsync();
        var snapshots = new List<Snapshot>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            snapshots.Add((await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, name)]), Token)).Snapshot!);
            await Task.Delay(5, Token);
        }

        await catalog.CommitAsync(Ns, "logs", new DeleteFiles([SyntheticFiles.Logs(location, "a").FilePath]), Token);
        var table = (await catalog.LoadTableAsync(Ns, "logs", Token)).Metadata;
        var planner = new ScanPlanner(catalog);

        Assert.Equal(["a"], (await planner.PlanAsync(table, new ScanRequest { SnapshotId = snapshots[0].SnapshotId }, Token)).Files.Select(Name));
        Assert.Equal(["a", "b"], (await planner.PlanAsync(table, new ScanRequest { SnapshotId = snapshots[1].SnapshotId }, Token)).Files.Select(Name).Order());
        Assert.Equal(["a", "b"], (await planner.PlanAsync(table, new ScanRequest { AsOfMs = snapshots[1].TimestampMs }, Token)).Files.Select(Name).Order());
        Assert.Equal(["b", "c"], (await planner.PlanAsync(table, new ScanRequest(), Token)).Files.Select(Name).Order());
        Assert.Equal(CatalogErrorKind.SnapshotNotFound, (await Assert.ThrowsAsync<CatalogException>(() => planner.PlanAsync(table, new ScanRequest { AsOfMs = snapshots[0].TimestampMs - 1 }, Token))).Kind);
    }

    [Fact]
    public async Task Compaction_replaces_files_atomically_and_fails_cleanly_if_an_input_is_gone()
    {
        var (catalog, location) = await CreateLogsAsync();
        await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "small-1", records: 3), SyntheticFiles.Logs(location, "small-2", records: 4)]), Token);
        await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "other", tenant: "globex")]), Token);

        var compacted = await catalog.CommitAsync(Ns, "logs", new ReplaceFiles(
            [SyntheticFiles.Logs(location, "small-1").FilePath, SyntheticFiles.Logs(location, "small-2").FilePath],
            [SyntheticFiles.Logs(location, "big", records: 7)]), Token);
        Assert.Equal("replace", compacted.Snapshot!.Operation);
        Assert.Equal("2", compacted.Snapshot.Summary["total-data-files"]);
        Assert.Equal("17", compacted.Snapshot.Summary["total-records"]);

        var stale = await Assert.ThrowsAsync<CatalogException>(() => catalog.CommitAsync(Ns, "logs", new ReplaceFiles(
            [SyntheticFiles.Logs(location, "small-1").FilePath], [SyntheticFiles.Logs(location, "again")]), Token));
        Assert.Equal(CatalogErrorKind.CommitConflict, stale.Kind);

        var table = await catalog.LoadTableAsync(Ns, "logs", Token);
        Assert.Equal(compacted.MetadataLocation, table.MetadataLocation);
        Assert.Equal(["big", "other"], (await new ScanPlanner(catalog).PlanAsync(table.Metadata, new ScanRequest(), Token)).Files.Select(Name).Order());
    }

    [Fact]
    public async Task A_commit_whose_idempotency_key_is_recorded_is_not_applied_twice()
    {
        var (catalog, location) = await CreateLogsAsync();
        var update = new AppendFiles([SyntheticFiles.Logs(location, "once")]) { IdempotencyKey = "wal-logs-000042" };
        var first = await catalog.CommitAsync(Ns, "logs", update, Token);
        await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "between")]), Token);
        var again = await catalog.CommitAsync(Ns, "logs", update, Token);

        Assert.False(first.AlreadyApplied);
        Assert.True(again.AlreadyApplied);
        Assert.Equal(first.Snapshot!.SnapshotId, again.Snapshot!.SnapshotId);
        var table = await catalog.LoadTableAsync(Ns, "logs", Token);
        Assert.Equal(2, table.Metadata.Snapshots.Count);
    }

    [Fact]
    public async Task Marks_are_carried_forward_and_a_commit_that_does_not_advance_one_is_already_applied()
    {
        var (catalog, location) = await CreateLogsAsync();
        static Dictionary<string, string> Mark(long value) => new() { [TableUpdate.MarkPrefix + "wal"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "first")]) { SummaryProperties = Mark(100) }, Token);
        var compacted = await catalog.CommitAsync(Ns, "logs", new ReplaceFiles([SyntheticFiles.Logs(location, "first").FilePath], [SyntheticFiles.Logs(location, "rewritten")]), Token);
        Assert.Equal(100, compacted.Snapshot.Mark("wal"));

        // A different plan (another idempotency key) covering offsets already committed is refused.
        var stale = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "stale")]) { IdempotencyKey = "late-plan", SummaryProperties = Mark(100) }, Token);
        var next = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "second")]) { SummaryProperties = Mark(250) }, Token);

        Assert.True(stale.AlreadyApplied);
        Assert.False(next.AlreadyApplied);
        var table = await catalog.LoadTableAsync(Ns, "logs", Token);
        Assert.Equal(250, table.Metadata.CurrentSnapshot.Mark("wal"));
        Assert.Equal(["rewritten", "second"], (await new ScanPlanner(catalog).PlanAsync(table.Metadata, new ScanRequest(), Token)).Files.Select(Name).Order());
    }

    [Fact]
    public async Task Expiring_snapshots_keeps_the_current_state_and_makes_old_files_orphans()
    {
        var (catalog, location) = await CreateLogsAsync();
        await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "a")]), Token);
        var old = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "b")]), Token);
        await catalog.CommitAsync(Ns, "logs", new SetProperties(new Dictionary<string, string> { ["retention.days"] = "30" }), Token);
        await Task.Delay(5, Token);
        var current = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "c")]), Token);
        await catalog.CommitAsync(Ns, "logs", new ExpireSnapshots(current.Snapshot!.TimestampMs, RetainLast: 1), Token);

        var table = (await catalog.LoadTableAsync(Ns, "logs", Token)).Metadata;
        Assert.Equal(current.Snapshot.SnapshotId, Assert.Single(table.Snapshots).SnapshotId);
        Assert.Equal("30", table.Properties["retention.days"]);
        Assert.Equal(["a", "b", "c"], (await new ScanPlanner(catalog).PlanAsync(table, new ScanRequest(), Token)).Files.Select(Name).Order());
        var orphans = await catalog.FindOrphansAsync(Ns, "logs", DateTimeOffset.UtcNow.AddMinutes(1), Token);
        Assert.Contains(old.Snapshot!.ManifestList, orphans);
        Assert.DoesNotContain(current.Snapshot.ManifestList, orphans);
    }

    [Fact]
    public async Task A_crash_between_writing_metadata_and_swapping_the_root_leaves_the_old_snapshot_and_orphans_for_gc()
    {
        var (catalog, location) = await CreateLogsAsync();
        var committed = await catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "kept")]), Token);

        // The process "dies" at the root swap: the fault store fails it, and nothing retries.
        var dying = new IcebergCatalog(new FaultInjectingObjectStore(Store, new FaultPlan { ErrorRate = 1, AppliesTo = (operation, key) => operation == ObjectStoreOperation.Put && key == IcebergCatalog.RootKey }));
        await Assert.ThrowsAsync<ObjectStoreException>(() => dying.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, "lost")]), Token));

        var table = await catalog.LoadTableAsync(Ns, "logs", Token);
        Assert.Equal(committed.MetadataLocation, table.MetadataLocation);
        Assert.Equal(committed.Snapshot!.SnapshotId, table.Metadata.CurrentSnapshotId);
        Assert.Equal(["kept"], (await new ScanPlanner(catalog).PlanAsync(table.Metadata, new ScanRequest(), Token)).Files.Select(Name));

        var orphans = await catalog.FindOrphansAsync(Ns, "logs", DateTimeOffset.UtcNow.AddMinutes(1), Token);
        Assert.Single(orphans, o => o.EndsWith(".metadata.json", StringComparison.Ordinal) && o.Contains("/00002-", StringComparison.Ordinal));
        Assert.Single(orphans, o => o.Contains("/snap-", StringComparison.Ordinal));
        Assert.Empty(await catalog.FindOrphansAsync(Ns, "logs", DateTimeOffset.UtcNow.AddMinutes(-1), Token));
    }

    [Fact]
    public async Task Thirty_two_concurrent_committers_in_three_processes_each_append_one_file_exactly_once()
    {
        var (catalog, location) = await CreateLogsAsync();
        var startFile = Path.Combine(ScratchDirectory, $"start-{Guid.NewGuid():N}");
        var processes = Enumerable.Range(0, 2).Select(p => StartContender(["commit", ContenderStore, startFile, Ns, "logs", "8", $"process{p}"])).ToList();
        await Task.Delay(500, Token);
        await File.WriteAllTextAsync(startFile, "go", Token);
        var threads = Enumerable.Range(0, 16).Select(i => Task.Run(() => catalog.CommitAsync(Ns, "logs", new AppendFiles([SyntheticFiles.Logs(location, $"thread-{i}")]), Token), Token));
        var results = await Task.WhenAll(threads);

        foreach (var process in processes)
        {
            var errors = await process.StandardError.ReadToEndAsync(Token);
            await process.WaitForExitAsync(Token);
            Assert.True(process.ExitCode == 0, $"a contender failed: {errors}");
            process.Dispose();
        }

        var table = (await catalog.LoadTableAsync(Ns, "logs", Token)).Metadata;
        Assert.Equal(32, table.Snapshots.Count);
        Assert.Equal(32, table.LastSequenceNumber);
        Assert.Equal(Enumerable.Range(1, 32).Select(i => (long)i), table.Snapshots.Select(s => s.SequenceNumber).Order());
        var files = (await new ScanPlanner(catalog).PlanAsync(table, new ScanRequest(), Token)).Files.Select(Name).ToList();
        var expected = Enumerable.Range(0, 16).Select(i => $"thread-{i}").Concat(Enumerable.Range(0, 2).SelectMany(p => Enumerable.Range(0, 8).Select(i => $"process{p}-{i}")));
        Assert.Equal(expected.Order(), files.Order());
        Assert.Equal("32", table.CurrentSnapshot!.Summary["total-data-files"]);
        Assert.All(results, r => Assert.False(r.AlreadyApplied));
    }

    protected static string Name(DataFile file) => Path.GetFileNameWithoutExtension(file.FilePath);

    private async Task<(IcebergCatalog Catalog, string Location)> CreateLogsAsync()
    {
        var catalog = new IcebergCatalog(Store);
        await catalog.CreateNamespaceAsync(Ns, cancellationToken: Token);
        var table = await catalog.CreateTableAsync(Ns, TableSchemas.Logs, Token);
        return (catalog, table.Metadata.Location);
    }

    private static Process StartContender(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "IceGate.Contender.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
