using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Storage;

namespace IceGate.QueryApi;

/// <summary>
/// Local copies of store objects for DuckDB to read (it cannot read the store itself), bounded by
/// bytes with least-recently-used eviction. Only immutable objects are cached (data files and WAL
/// segments are written once under fresh names), so an entry is never stale. Files a running query
/// holds are pinned and outlive eviction until released.
/// </summary>
/// <remarks>
/// A Parquet file can be cached in part: a sparse local file of the object's size holding its
/// footer (one suffix read) and, column by column as queries need them, every row group's chunk
/// of the column (ranged reads, in parallel). DuckDB reads only the footer and the chunks of the
/// columns a query names, so it never touches the holes; the fetched ranges are listed beside
/// the file (<c>.ranges</c>) so that this can be checked.
/// </remarks>
public sealed class ObjectCache
{
    // One read gets the footer of our data files (21 KiB for a 64 MB file of 8 row groups); a bigger one takes a second.
    private const int FooterRead = 64 << 10;

    private static readonly byte[] s_parquetMagic = "PAR1"u8.ToArray();

    private readonly IObjectStore _store;
    private readonly Func<DuckDBConnection> _connect;
    private readonly int _parallelReads;
    private readonly long _capacityBytes;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _lock = new();
    private readonly string _directory;
    private long _cachedBytes;

    /// <summary>
    /// Creates a cache in <paramref name="directory"/>, which must be this cache's alone;
    /// <paramref name="connect"/> opens a DuckDB connection that may read it (for Parquet footers).
    /// </summary>
    public ObjectCache(IObjectStore store, string directory, long capacityBytes, Func<DuckDBConnection> connect, int parallelReads)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _connect = connect;
        _parallelReads = parallelReads;
        _capacityBytes = capacityBytes;
        _directory = Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>Bytes currently cached.</summary>
    public long CachedBytes => Interlocked.Read(ref _cachedBytes);

    /// <summary>
    /// The local copy of the object at <paramref name="key"/>, fetched if absent and pinned until the
    /// returned handle is disposed; null if the object does not exist.
    /// </summary>
    public Task<CachedObject?> AcquireAsync(string key, QueryCounters counters, CancellationToken cancellationToken) =>
        AcquireAsync(key, columns: null, counters, cancellationToken);

    /// <summary>
    /// The local copy of the Parquet object at <paramref name="key"/> with at least its footer and
    /// the chunks of the top-level <paramref name="columns"/> (null: the whole object), fetched as
    /// needed and pinned until the handle is disposed; null if the object does not exist.
    /// </summary>
    public async Task<CachedObject?> AcquireAsync(string key, IReadOnlySet<string>? columns, QueryCounters counters, CancellationToken cancellationToken)
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
                entry.Fetch = columns is null ? FetchAsync(entry, counters) : FetchFooterAsync(entry, counters);
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

            if (!entry.Complete)
            {
                await FillAsync(entry, columns, counters, cancellationToken).ConfigureAwait(false);
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

            await WriteWholeAsync(entry, data, counters).ConfigureAwait(false);
            return true;
        }
        catch
        {
            Forget(entry);
            throw;
        }
    }

    private async Task WriteWholeAsync(Entry entry, ObjectData data, QueryCounters counters)
    {
        var partial = $"{entry.Path}.{Guid.NewGuid():N}.part";
        await File.WriteAllBytesAsync(partial, data.Content).ConfigureAwait(false);
        File.Move(partial, entry.Path, overwrite: true);
        File.Delete(RangesPath(entry));
        counters.AddFetched(data.Content.Length);
        entry.Complete = true;
        Account(entry, data.Content.Length - entry.Bytes);
    }

    /// <summary>
    /// A sparse file of the object's size with its footer and leading magic in place, and the
    /// footer's map of column chunks. An object that is not Parquet, or small enough to have come
    /// whole with the footer read, is cached whole.
    /// </summary>
    private async Task<bool> FetchFooterAsync(Entry entry, QueryCounters counters)
    {
        await Task.Yield();
        try
        {
            var tail = await _store.GetAsync(entry.Key, ByteRange.Suffix(FooterRead)).ConfigureAwait(false);
            if (tail is null)
            {
                Forget(entry);
                return false;
            }

            var content = tail.Content;
            var footerLength = content.Length >= 12 && content.Span[^4..].SequenceEqual(s_parquetMagic) ? BinaryPrimitives.ReadUInt32LittleEndian(content.Span[^8..]) : uint.MaxValue;
            if (content.Length >= tail.ObjectLength || footerLength > tail.ObjectLength - 12)
            {
                var whole = content.Length >= tail.ObjectLength ? tail : await _store.GetAsync(entry.Key).ConfigureAwait(false);
                if (whole is null)
                {
                    Forget(entry);
                    return false;
                }

                await WriteWholeAsync(entry, whole, counters).ConfigureAwait(false);
                return true;
            }

            if (footerLength + 8 > content.Length)
            {
                tail = await _store.GetAsync(entry.Key, ByteRange.Suffix(footerLength + 8)).ConfigureAwait(false) ?? throw Gone(entry);
                content = tail.Content;
            }

            var partial = $"{entry.Path}.{Guid.NewGuid():N}.part";
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write))
            {
                file.SetLength(tail.ObjectLength);
                await file.WriteAsync(s_parquetMagic).ConfigureAwait(false);
                file.Position = tail.ObjectLength - content.Length;
                await file.WriteAsync(content).ConfigureAwait(false);
            }

            File.Move(partial, entry.Path, overwrite: true);
            counters.AddFetched(content.Length);
            using (var connection = _connect())
            {
                entry.Chunks = ParquetColumnChunks.Read(connection, entry.Path);
            }

            entry.Ranges.AddRange([(0, s_parquetMagic.Length), (tail.ObjectLength - content.Length, content.Length)]);
            await WriteRangesAsync(entry).ConfigureAwait(false);
            Account(entry, s_parquetMagic.Length + content.Length);
            return true;
        }
        catch
        {
            Forget(entry);
            throw;
        }
    }

    /// <summary>Adds the chunks of <paramref name="columns"/> not yet fetched (null: the whole object) to a partly cached file.</summary>
    private async Task FillAsync(Entry entry, IReadOnlySet<string>? columns, QueryCounters counters, CancellationToken cancellationToken)
    {
        await entry.Filling.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (entry.Complete)
            {
                return;
            }

            if (columns is null)
            {
                // Written in place: readers of the chunks already there see the same bytes.
                var whole = await _store.GetAsync(entry.Key, cancellationToken: cancellationToken).ConfigureAwait(false) ?? throw Gone(entry);
                await using (var file = new FileStream(entry.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                {
                    await file.WriteAsync(whole.Content, cancellationToken).ConfigureAwait(false);
                }

                File.Delete(RangesPath(entry));
                counters.AddFetched(whole.Content.Length);
                entry.Complete = true;
                Account(entry, whole.Content.Length - entry.Bytes);
                return;
            }

            var missing = columns.Where(c => entry.Chunks!.ContainsKey(c) && !entry.Fetched.Contains(c)).ToList();
            var ranges = ParquetColumnChunks.Merge(missing.SelectMany(c => entry.Chunks![c]));
            using (var file = File.OpenHandle(entry.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, FileOptions.Asynchronous))
            {
                await Parallel.ForEachAsync(ranges, new ParallelOptions { MaxDegreeOfParallelism = _parallelReads, CancellationToken = cancellationToken }, async (range, token) =>
                {
                    var data = await _store.GetAsync(entry.Key, ByteRange.FromOffset(range.Offset, range.Length), token).ConfigureAwait(false) ?? throw Gone(entry);
                    await RandomAccess.WriteAsync(file, data.Content, range.Offset, token).ConfigureAwait(false);
                    counters.AddFetched(data.Content.Length);
                }).ConfigureAwait(false);
            }

            entry.Fetched.UnionWith(missing);
            entry.Ranges.AddRange(ranges);
            await WriteRangesAsync(entry).ConfigureAwait(false);
            Account(entry, ranges.Sum(r => r.Length));
        }
        finally
        {
            entry.Filling.Release();
        }
    }

    private static ObjectStoreException Gone(Entry entry) => new(ObjectStoreErrorKind.Permanent, $"{entry.Key} went away while it was read in parts.");

    private void Account(Entry entry, long bytes)
    {
        lock (_lock)
        {
            entry.Bytes += bytes;
            _cachedBytes += bytes;
            EvictLocked();
        }
    }

    private static Task WriteRangesAsync(Entry entry) =>
        File.WriteAllTextAsync(RangesPath(entry), JsonSerializer.Serialize(ParquetColumnChunks.Merge(entry.Ranges).Select(r => new[] { r.Offset, r.Length })));

    private static string RangesPath(Entry entry) => entry.Path + ".ranges";

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
                File.Delete(RangesPath(entry));
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

        /// <summary>Whether the whole object is in the file (else only <see cref="Ranges"/>).</summary>
        public bool Complete { get; set; }

        /// <summary>A partly cached Parquet file's column chunks by top-level column.</summary>
        public Dictionary<string, List<(long Offset, long Length)>>? Chunks { get; set; }

        /// <summary>The columns whose chunks are in the file.</summary>
        public HashSet<string> Fetched { get; } = new(StringComparer.Ordinal);

        /// <summary>The byte ranges in the file, for a partly cached one.</summary>
        public List<(long Offset, long Length)> Ranges { get; } = [];

        /// <summary>One fill at a time: a query waits for another's ranges rather than fetching them again.</summary>
        public SemaphoreSlim Filling { get; } = new(1, 1);
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
