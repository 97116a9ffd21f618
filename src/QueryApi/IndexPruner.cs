using System.Diagnostics.Metrics;
using IceGate.Catalog;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;
using Microsoft.Extensions.Logging;

namespace IceGate.QueryApi;

/// <summary>
/// Drops planned data files whose skipping index says no row can match the query's needles, before
/// any byte of them is fetched. Indexes are read from the store once and kept in memory (LRU by
/// bytes; index objects, like data files, never change). A file whose index is missing, of another
/// format or corrupt is read: an index can only ever save work, never change an answer.
/// </summary>
internal sealed partial class IndexPruner(IObjectStore store, int parallelFetches, long capacityBytes, ILogger logger)
{
    private static readonly Counter<long> s_unreadable = Lakehouse.IceGateTelemetry.Meter.CreateCounter<long>(
        "icegate_index_unreadable", description: "Data files read in full because their skipping index was missing or unreadable, by reason.");

    private readonly Dictionary<string, (FileIndex? Index, long Bytes, LinkedListNode<string> Node)> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _recency = new();
    private readonly Lock _lock = new();
    private long _cachedBytes;

    /// <summary>The files of <paramref name="files"/> that may hold rows matching every needle.</summary>
    public async Task<IReadOnlyList<DataFile>> PruneAsync(IReadOnlyList<DataFile> files, IReadOnlyList<IndexNeedle> needles, CancellationToken cancellationToken)
    {
        if (needles.Count == 0 || files.Count == 0)
        {
            return files;
        }

        var indexes = new FileIndex?[files.Count];
        await Parallel.ForAsync(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = parallelFetches, CancellationToken = cancellationToken }, async (i, token) =>
            indexes[i] = await GetAsync(files[i].FilePath, token).ConfigureAwait(false)).ConfigureAwait(false);
        var probes = needles.Select(n => (n.Filter, Hashes: n.Values.Select(BloomFilter.Hash).ToArray())).ToList();
        return [.. files.Where((_, i) => indexes[i] is not { } index || probes.All(p => index.MayContainAny(p.Filter, p.Hashes)))];
    }

    private async Task<FileIndex?> GetAsync(string dataFile, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(dataFile, out var cached))
            {
                _recency.Remove(cached.Node);
                _recency.AddFirst(cached.Node);
                return cached.Index;
            }
        }

        if (IndexKeys.ForDataFile(store.KeyOf(dataFile)) is not { } key)
        {
            return null;
        }

        FileIndex? index = null;
        try
        {
            var stored = await store.GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                Unreadable(dataFile, "missing", "the index object does not exist");
            }
            else
            {
                index = FileIndex.Deserialize(stored.Content.Span);
            }
        }
        catch (InvalidDataException e)
        {
            Unreadable(dataFile, "corrupt", e.Message);
        }
        catch (ObjectStoreException e)
        {
            // Not remembered: the store may answer next time.
            LogIndexUnreadable(logger, dataFile, e.Message);
            s_unreadable.Add(1, new KeyValuePair<string, object?>("reason", "store"));
            return null;
        }

        Remember(dataFile, index);
        return index;
    }

    private void Unreadable(string dataFile, string reason, string detail)
    {
        LogIndexUnreadable(logger, dataFile, detail);
        s_unreadable.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    private void Remember(string dataFile, FileIndex? index)
    {
        var bytes = 64 + (index?.Filters.Values.Sum(f => (long)f.ByteCount) ?? 0);
        lock (_lock)
        {
            if (_entries.ContainsKey(dataFile))
            {
                return;
            }

            _entries[dataFile] = (index, bytes, _recency.AddFirst(dataFile));
            _cachedBytes += bytes;
            while (_cachedBytes > capacityBytes && _recency.Last is { } oldest)
            {
                _cachedBytes -= _entries[oldest.Value].Bytes;
                _entries.Remove(oldest.Value);
                _recency.RemoveLast();
            }
        }
    }

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "The skipping index of {DataFile} cannot be used ({Reason}); the file is read in full")]
    private static partial void LogIndexUnreadable(ILogger logger, string dataFile, string reason);
}
