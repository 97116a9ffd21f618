using IceGate.Catalog;
using IceGate.Ingest.Wal;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace IceGate.Ingest.Shift;

/// <summary>
/// Moves one table's WAL into Iceberg, cooperating with any number of workers in other processes
/// through the table's <see cref="ShiftJob"/> state alone: no leader, no locks beyond leases that
/// expire. Each step reads the state and does the one thing it calls for: clear a committed plan,
/// make a plan, run (or take over) a task, or commit a finished plan. Any worker may die between
/// any two writes; the next step of any worker carries on from what the store says.
/// </summary>
/// <remarks>
/// Exactly once: a plan covers the segments with offsets in (committed mark, plan mark], and its
/// commit records the plan mark in the same atomic catalog swap that adds the files; the catalog
/// refuses a commit whose mark the table has already reached, so a plan is committed at most
/// once however many workers try. Offsets are clock readings and a segment cannot appear later than
/// its publish deadline, so a plan only covers offsets older than <see cref="ShiftOptions.SettleTime"/>.
/// </remarks>
public sealed partial class ShiftWorker
{
    /// <summary>A task that failed this often is split in two before it is tried again.</summary>
    public const int MaxAttemptsBeforeSplit = 3;

    private readonly IObjectStore _store;
    private readonly IcebergCatalog _catalog;
    private readonly string _namespace;
    private readonly string _table;
    private readonly ShiftOptions _options;
    private readonly ILogger _logger;
    private readonly SegmentShifter _shifter;
    private readonly string _workerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    private long _commits;
    private long _commitConflicts;
    private long _takeovers;
    private long _segmentBytesShifted;
    private long _lagMicros;
    private long _dataFiles;
    private double _filesPerPartition;
    private long? _measuredSnapshot;

    /// <summary>A worker for <paramref name="ns"/>.<paramref name="table"/>, whose WAL is the signal of the same name.</summary>
    public ShiftWorker(IObjectStore store, IcebergCatalog catalog, string ns, string table, ShiftOptions options, IndexOptions index, ILogger logger)
    {
        _store = store;
        _catalog = catalog;
        _namespace = ns;
        _table = table;
        _options = options;
        _logger = logger;
        _shifter = new SegmentShifter(store, options, index, TableDefinition.Named(table));
    }

    /// <summary>Plans committed by this worker.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writes of the shared state this worker lost to another worker's.</summary>
    public long CommitConflicts => Interlocked.Read(ref _commitConflicts);

    /// <summary>Tasks this worker took over from a worker whose lease had run out.</summary>
    public long Takeovers => Interlocked.Read(ref _takeovers);

    /// <summary>WAL segment bytes this worker shifted into data files.</summary>
    public long SegmentBytesShifted => Interlocked.Read(ref _segmentBytesShifted);

    /// <summary>Data files in the table's current snapshot, as of this worker's last step.</summary>
    public long DataFiles => Interlocked.Read(ref _dataFiles);

    /// <summary>Data files per partition in the table's current snapshot, on average, as of this worker's last step.</summary>
    public double FilesPerPartition => Volatile.Read(ref _filesPerPartition);

    /// <summary>Age of the oldest WAL segment not yet committed to the table, as of this worker's last step.</summary>
    public TimeSpan Lag => TimeSpan.FromTicks(Interlocked.Read(ref _lagMicros) * 10);

    /// <summary>The table this worker shifts into.</summary>
    public string Table => _table;

    /// <summary>Works until <paramref name="stoppingToken"/> fires, resting when there is nothing to do.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            bool progressed;
            try
            {
                progressed = await StepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogStepFailed(_logger, _table, e);
                progressed = false;
            }

            if (!progressed)
            {
                try
                {
                    await Task.Delay(_options.PollInterval, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Does the next thing the shared state calls for; false if there was nothing to do.</summary>
    public async Task<bool> StepAsync(CancellationToken cancellationToken)
    {
        var (job, etag) = await ShiftJob.ReadAsync(_store, _table, cancellationToken).ConfigureAwait(false);
        var table = await _catalog.LoadTableAsync(_namespace, _table, cancellationToken).ConfigureAwait(false);
        var mark = table.Metadata.CurrentSnapshot.Mark(WalKeys.Mark) ?? 0;
        var wal = await ScanWalAsync(mark, cancellationToken).ConfigureAwait(false);
        await MeasureFilesAsync(table.Metadata, cancellationToken).ConfigureAwait(false);

        if (job?.Plan is not { } plan)
        {
            return await PlanAsync(mark, wal, etag, cancellationToken).ConfigureAwait(false);
        }

        if (plan.ToMark <= mark)
        {
            // Committed (by this worker or another) but not yet cleared.
            await SwapAsync(null, etag, cancellationToken).ConfigureAwait(false);
            return true;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (plan.Tasks.FirstOrDefault(t => t.Manifest is null && (t.Owner is null || t.LeaseUntilMs < now)) is { } open)
        {
            if (open.Attempts >= MaxAttemptsBeforeSplit && open.Segments.Count > 1)
            {
                // Failing again and again (out of memory, say): halve it, so that what can be done is.
                var half = open.Segments.Count / 2;
                var first = new ShiftTask(open.Index, open.Segments.Take(half).ToList(), open.InputBytes / 2);
                var second = new ShiftTask(plan.Tasks.Count, open.Segments.Skip(half).ToList(), open.InputBytes - first.InputBytes);
                var split = plan.With(first);
                if (await SwapAsync(split with { Tasks = [.. split.Tasks, second] }, etag, cancellationToken).ConfigureAwait(false))
                {
                    LogSplit(_logger, _table, plan.Id, open.Index, open.Attempts, open.Segments.Count);
                }

                return true;
            }

            var claimed = open with { Owner = _workerId, LeaseUntilMs = now + (long)_options.LeaseDuration.TotalMilliseconds, Attempts = open.Attempts + 1 };
            if (!await SwapAsync(plan.With(claimed), etag, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }

            if (open.Owner is not null)
            {
                Interlocked.Increment(ref _takeovers);
                LogTakeover(_logger, _table, plan.Id, open.Index, open.Owner);
            }

            await RunTaskAsync(table.Metadata, plan, claimed, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (plan.IsComplete)
        {
            await CommitAsync(plan, etag, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>Covers settled segments past the mark (listed by <see cref="ScanWalAsync"/>) with a new plan, if there are any.</summary>
    private async Task<bool> PlanAsync(long mark, WalScan wal, string? etag, CancellationToken cancellationToken)
    {
        var segments = wal.Settled.Take(_options.MaxPlanSegments).ToList();

        // A longer backlog is worked off by several plans; this one ends just before the first left out.
        var toMark = wal.Settled.Count > _options.MaxPlanSegments ? wal.Settled[_options.MaxPlanSegments].Offset - 1 : wal.SettledUpTo;
        if (segments.Count == 0)
        {
            return false;
        }

        var tasks = new List<ShiftTask>();
        var run = new List<string>();
        long runBytes = 0;
        foreach (var (key, _, length) in segments)
        {
            if (run.Count > 0 && runBytes + length > _options.TaskInputBytes)
            {
                tasks.Add(new ShiftTask(tasks.Count, run, runBytes));
                (run, runBytes) = ([], 0);
            }

            run.Add(key);
            runBytes += length;
        }

        tasks.Add(new ShiftTask(tasks.Count, run, runBytes));
        var plan = new ShiftPlan(Guid.NewGuid().ToString("N"), mark, toMark, tasks);
        if (await SwapAsync(plan, etag, cancellationToken).ConfigureAwait(false))
        {
            LogPlanned(_logger, _table, plan.Id, segments.Count, tasks.Count, mark, toMark);
        }

        return true;
    }

    /// <summary>
    /// Shifts the task's segments, then records its manifest, if the task is still this worker's
    /// (a worker that outlived its lease finds the task taken over and leaves its files as orphans).
    /// </summary>
    private async Task RunTaskAsync(Lakehouse.Iceberg.TableMetadata table, ShiftPlan plan, ShiftTask task, CancellationToken cancellationToken)
    {
        using var activity = Lakehouse.IceGateTelemetry.Source.StartActivity($"shift task {_table}");
        activity?.SetTag("icegate.plan", plan.Id).SetTag("icegate.task", task.Index).SetTag("icegate.bytes", task.InputBytes);
        string manifest;
        try
        {
            manifest = await _shifter.ShiftAsync(table, plan, task, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Give the task back at once rather than when the lease runs out; its attempts count.
            LogTaskFailed(_logger, _table, plan.Id, task.Index, task.Attempts, e);
            await UpdateOwnTaskAsync(plan, task, current => current with { Owner = null, LeaseUntilMs = 0 }, cancellationToken).ConfigureAwait(false);
            return;
        }

        Interlocked.Add(ref _segmentBytesShifted, task.InputBytes);
        await UpdateOwnTaskAsync(plan, task, current => current with { Manifest = manifest, Owner = null }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Changes the task in the shared state if it is still this worker's attempt.</summary>
    private async Task UpdateOwnTaskAsync(ShiftPlan plan, ShiftTask task, Func<ShiftTask, ShiftTask> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (job, etag) = await ShiftJob.ReadAsync(_store, _table, cancellationToken).ConfigureAwait(false);
            var current = job?.Plan?.Id == plan.Id ? job.Plan.Tasks[task.Index] : null;
            if (current is null || current.Owner != _workerId || current.Attempts != task.Attempts)
            {
                LogLostTask(_logger, _table, plan.Id, task.Index);
                return;
            }

            if (await SwapAsync(job!.Plan!.With(change(current)), etag, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task CommitAsync(ShiftPlan plan, string? etag, CancellationToken cancellationToken)
    {
        using var activity = Lakehouse.IceGateTelemetry.Source.StartActivity($"shift commit {_table}");
        activity?.SetTag("icegate.plan", plan.Id);
        var files = await _shifter.ReadManifestsAsync(plan, cancellationToken).ConfigureAwait(false);
        var update = new AppendFiles(files)
        {
            IdempotencyKey = $"shift-{plan.Id}",
            SummaryProperties = new Dictionary<string, string> { [TableUpdate.MarkPrefix + WalKeys.Mark] = plan.ToMark.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        var result = await _catalog.CommitAsync(_namespace, _table, update, cancellationToken).ConfigureAwait(false);
        if (!result.AlreadyApplied)
        {
            Interlocked.Increment(ref _commits);
            LogCommitted(_logger, _table, plan.Id, files.Count, files.Sum(f => f.RecordCount), plan.ToMark, result.Attempts);
        }

        Interlocked.Add(ref _commitConflicts, result.Attempts - 1);
        await SwapAsync(null, etag, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One listing of the signal's WAL per step: deletes segments the table holds once no query can
    /// still be reading them, measures the lag (the age of the oldest segment not in the table yet),
    /// and collects the settled segments past the mark that the next plan may cover.
    /// </summary>
    private async Task<WalScan> ScanWalAsync(long mark, CancellationToken cancellationToken)
    {
        var now = WalKeys.NowMicros();
        var deletable = Math.Min(mark, now - (long)(_options.WalGrace.TotalMilliseconds * 1000));
        var settledUpTo = now - (long)(_options.SettleTime.TotalMilliseconds * 1000);
        var oldestPending = now;
        var settled = new List<(string Key, long Offset, long Length)>();
        await foreach (var item in _store.ListAllAsync(WalKeys.Prefix(_table), cancellationToken).ConfigureAwait(false))
        {
            if (!WalKeys.TryParseOffset(item.Key, out var offset))
            {
                continue;
            }

            if (offset <= mark)
            {
                if (offset <= deletable)
                {
                    await _store.DeleteAsync(item.Key, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            oldestPending = Math.Min(oldestPending, offset);
            if (offset > settledUpTo || settled.Count > _options.MaxPlanSegments)
            {
                break;
            }

            settled.Add((item.Key, offset, item.Length));
        }

        Interlocked.Exchange(ref _lagMicros, now - oldestPending);
        return new WalScan(settled, settledUpTo);
    }

    /// <summary>Settled segments past the mark in offset order (one more than a plan takes, if there are), and the offset up to which the WAL is settled.</summary>
    private sealed record WalScan(List<(string Key, long Offset, long Length)> Settled, long SettledUpTo);

    /// <summary>Counts the current snapshot's files per partition, once per snapshot (manifests are cached).</summary>
    private async Task MeasureFilesAsync(Lakehouse.Iceberg.TableMetadata table, CancellationToken cancellationToken)
    {
        if (table.CurrentSnapshotId == _measuredSnapshot)
        {
            return;
        }

        var files = (await new ScanPlanner(_catalog).PlanAsync(table, new ScanRequest(), cancellationToken).ConfigureAwait(false)).Files;
        var partitions = files.Select(f => string.Join('/', f.Partition)).Distinct(StringComparer.Ordinal).Count();
        Interlocked.Exchange(ref _dataFiles, files.Count);
        Volatile.Write(ref _filesPerPartition, partitions == 0 ? 0 : (double)files.Count / partitions);
        _measuredSnapshot = table.CurrentSnapshotId;
    }

    private async Task<bool> SwapAsync(ShiftPlan? plan, string? etag, CancellationToken cancellationToken)
    {
        var swapped = await ShiftJob.TrySwapAsync(_store, _table, plan, etag, cancellationToken).ConfigureAwait(false);
        if (!swapped)
        {
            Interlocked.Increment(ref _commitConflicts);
        }

        return swapped;
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Shift {Table}: plan {Plan} covers {Segments} segments in {Tasks} tasks, WAL mark {From} to {To}")]
    private static partial void LogPlanned(ILogger logger, string table, string plan, int segments, int tasks, long from, long to);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Shift {Table}: plan {Plan} committed, {Files} files, {Records} records, WAL mark {Mark} ({Attempts} catalog attempts)")]
    private static partial void LogCommitted(ILogger logger, string table, string plan, int files, long records, long mark, int attempts);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Shift {Table}: took over task {Task} of plan {Plan} from {Owner}, whose lease ran out")]
    private static partial void LogTakeover(ILogger logger, string table, string plan, int task, string owner);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Shift {Table}: task {Task} of plan {Plan} was taken over before it finished here; its files are left for orphan collection")]
    private static partial void LogLostTask(ILogger logger, string table, string plan, int task);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Shift {Table}: task {Task} of plan {Plan} failed on attempt {Attempt}")]
    private static partial void LogTaskFailed(ILogger logger, string table, string plan, int task, int attempt, Exception exception);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Shift {Table}: task {Task} of plan {Plan} failed {Attempts} times; split its {Segments} segments in two")]
    private static partial void LogSplit(ILogger logger, string table, string plan, int task, int attempts, int segments);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Shift {Table}: a step failed; retrying")]
    private static partial void LogStepFailed(ILogger logger, string table, Exception exception);
}
