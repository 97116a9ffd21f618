using System.Security.Cryptography;
using System.Text;
using IceGate.Lakehouse.Storage;

namespace IceGate.QueryApi;

/// <summary>
/// Local copies of store objects for DuckDB to read (it cannot read the store itself), bounded by
/// bytes with least-recently-used eviction. Only immutable objects are cached (data files and WAL
/// segments are written once under fresh names), so an entry is never stale. Files a running query
/// holds are pinned and outlive eviction until released.
/// </summary>
public sealed class ObjectCache
{
    private readonly IObjectStore _store;
    private readonly long _capacityBytes;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _lock = new();
    private readonly string _directory;
    private long _cachedBytes;

    /// <summary>Creates a cache in <paramref name="directory"/>, which must be this cache's alone.</summary>
    public ObjectCache(IObjectStore store, string directory, long capacityBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _capacityBytes = capacityBytes;
        _directory = Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>Bytes currently cached.</summary>
    public long CachedBytes => Interlocked.Read(ref _cachedBytes);

    /// <summary>
    /// The local copy of the object at <paramref name="key"/>, fetched if absent and pinned until the
    /// returned handle is disposed; null if the object does not exist.
    /// </summary>
    public async Task<CachedObject?> AcquireAsync(string key, QueryCounters counters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counters);
        Entry entry;
        bool hit;
        lock (_lock)
        {
            hit = _entries.TryGetValue(key, out entry!);
            if (!hit)
            {
                entry = new Entry(key, Path.Combine(_directory, FileName(key)));
                _entries.Add(key, entry);
                entry.Node = _recency.AddFirst(entry);
                entry.Fetch = FetchAsync(entry, counters);
            }
            else
            {
                _recency.Remove(entry.Node!);
                _recency.AddFirst(entry.Node!);
            }

            entry.Pins++;
        }

        var handle = new CachedObject(this, entry);
        try
        {
            // A fetch is shared by every query waiting for it, so one query's cancellation must not stop it.
            var exists = await entry.Fetch!.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!exists)
            {
                handle.Dispose();
                return null;
            }

            if (hit)
            {
                counters.AddCacheHit();
            }

            counters.AddScanned(entry.Bytes);

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private async Task<bool> FetchAsync(Entry entry, QueryCounters counters)
    {
        await Task.Yield();
        try
        {
            var data = await _store.GetAsync(entry.Key).ConfigureAwait(false);
            if (data is null)
            {
                Forget(entry);
                return false;
            }

            var partial = $"{entry.Path}.{Guid.NewGuid():N}.part";
            await File.WriteAllBytesAsync(partial, data.Content).ConfigureAwait(false);
            File.Move(partial, entry.Path, overwrite: true);
            counters.AddFetched(data.Content.Length);
            lock (_lock)
            {
                entry.Bytes = data.Content.Length;
                _cachedBytes += entry.Bytes;
                EvictLocked();
            }

            return true;
        }
        catch
        {
            Forget(entry);
            throw;
        }
    }

    /// <summary>Drops a failed or missing entry so that the next query tries again.</summary>
    private void Forget(Entry entry)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
            {
                _entries.Remove(entry.Key);
                _recency.Remove(entry.Node!);
            }
        }
    }

    private void Release(Entry entry)
    {
        lock (_lock)
        {
            entry.Pins--;
            EvictLocked();
        }
    }

    private void EvictLocked()
    {
        for (var node = _recency.Last; node is not null && _cachedBytes > _capacityBytes;)
        {
            var previous = node.Previous;
            var entry = node.Value;
            if (entry.Pins == 0 && entry.Bytes > 0)
            {
                _recency.Remove(node);
                _entries.Remove(entry.Key);
                _cachedBytes -= entry.Bytes;
                File.Delete(entry.Path);
            }

            node = previous;
        }
    }

    private static string FileName(string key) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 16)) + ".parquet";

    /// <summary>A cached object's bookkeeping; guarded by the cache's lock.</summary>
    internal sealed class Entry(string key, string path)
    {
        public string Key { get; } = key;

        public string Path { get; } = path;

        public long Bytes { get; set; }

        public int Pins { get; set; }

        public LinkedListNode<Entry>? Node { get; set; }

        public Task<bool>? Fetch { get; set; }
    }

    /// <summary>A pinned local copy; dispose to let the cache evict it.</summary>
    public sealed class CachedObject : IDisposable
    {
        private ObjectCache? _cache;
        private readonly Entry _entry;

        internal CachedObject(ObjectCache cache, Entry entry)
        {
            _cache = cache;
            _entry = entry;
        }

        /// <summary>The local file.</summary>
        public string Path => _entry.Path;

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _cache, null)?.Release(_entry);
    }
}
