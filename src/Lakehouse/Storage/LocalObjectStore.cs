using System.Text;
using IceGate.Lakehouse.Storage.Internal;
using Microsoft.Win32.SafeHandles;

namespace IceGate.Lakehouse.Storage;

/// <summary>
/// The embedded default store: objects are files under <c>&lt;root&gt;/objects</c>, with the same
/// conditional-write semantics as S3, durable (fsync of file and directory before a write is
/// acknowledged) and correct between OS processes that share the directory.
/// </summary>
/// <remarks>
/// <para>Every write goes to a new file in <c>&lt;root&gt;/staging</c> that is published whole: by
/// <c>link</c> for create-only writes (the kernel refuses an existing name, so no lock is needed) and
/// by <c>rename</c> otherwise. Replacing writes and deletes of one key serialize on an <c>flock</c>
/// of one of 64 lock files (<c>&lt;root&gt;/locks</c>), chosen by a hash of the key that every
/// process computes alike, so compare-and-swap is atomic across processes.</para>
/// <para>Published files are never modified, so a reader holding one sees one version. The ETag is
/// the file's length and modification time, which the writer sets, under the key's lock, to a stamp
/// later than the version it replaces; an ETag therefore never repeats for a key.</para>
/// <para>Unlike S3, a key cannot also be the directory of other keys ("a" and "a/b").</para>
/// </remarks>
public sealed class LocalObjectStore : IObjectStore
{
    private const int LockStripes = 64;

    private readonly string _objects;
    private readonly string _staging;
    private readonly string _locks;

    /// <summary>Opens (creating if needed) a store under <paramref name="rootDirectory"/>.</summary>
    public LocalObjectStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        RootDirectory = Path.GetFullPath(rootDirectory);
        _objects = Directory.CreateDirectory(Path.Combine(RootDirectory, "objects")).FullName;
        _staging = Directory.CreateDirectory(Path.Combine(RootDirectory, "staging")).FullName;
        _locks = Directory.CreateDirectory(Path.Combine(RootDirectory, "locks")).FullName;
    }

    /// <summary>The directory holding the store.</summary>
    public string RootDirectory { get; }

    /// <inheritdoc />
    public string Location => new Uri(_objects).AbsoluteUri;

    /// <inheritdoc />
    public async ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            var (start, count) = range?.Resolve(length) ?? (0, length);
            var content = new byte[count];
            var read = 0;
            while (read < count)
            {
                var n = await RandomAccess.ReadAsync(handle, content.AsMemory(read), start + read, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new ObjectStoreException(ObjectStoreErrorKind.Permanent, $"Object '{key}' ended after {start + read} of {length} bytes.");
                }

                read += n;
            }

            return new ObjectData(content, ETagOf(length, File.GetLastWriteTimeUtc(handle)), length);
        }
    }

    /// <inheritdoc />
    public ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(key));
        return ValueTask.FromResult(file.Exists ? Describe(key, file) : null);
    }

    /// <inheritdoc />
    public async ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var staged = Path.Combine(_staging, Guid.NewGuid().ToString("N"));
        try
        {
            // Closed before publishing: .NET flocks files it opens, and that lock would travel with
            // the inode through the rename and lock readers out of the published object.
            using (var handle = File.OpenHandle(staged, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
            {
                await RandomAccess.WriteAsync(handle, content, 0, cancellationToken).ConfigureAwait(false);
                RandomAccess.FlushToDisk(handle);
            }

            var published = condition.IsIfNoneMatch
                ? PublishIfAbsent(staged, path)
                : PublishReplacing(staged, path, condition.IfMatchETag);
            if (published is null)
            {
                return PutResult.PreconditionFailed;
            }

            Posix.SyncDirectory(directory);
            return PutResult.Success(ETagOf(content.Length, published.Value));
        }
        finally
        {
            File.Delete(staged);
        }
    }

    /// <inheritdoc />
    public ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxKeys);

        // The deepest directory that can hold every key with this prefix.
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _objects : Path.Combine(_objects, prefix[..slash]);
        if (!Directory.Exists(start))
        {
            return ValueTask.FromResult(new ListPage([], null));
        }

        var candidates = new List<(string Key, FileInfo File)>();
        foreach (var file in new DirectoryInfo(start).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            var key = Path.GetRelativePath(_objects, file.FullName);
            if (key.StartsWith(prefix, StringComparison.Ordinal) && (continuationToken is null || string.CompareOrdinal(key, continuationToken) > 0))
            {
                candidates.Add((key, file));
            }
        }

        candidates.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var page = new List<ObjectMetadata>();
        var next = 0;
        for (; next < candidates.Count && page.Count < maxKeys; next++)
        {
            // An object deleted since the directory was read is simply not listed, as on S3.
            if (TryDescribe(candidates[next].Key, candidates[next].File) is { } item)
            {
                page.Add(item);
            }
        }

        return ValueTask.FromResult(new ListPage(page, next < candidates.Count ? candidates[next - 1].Key : null));
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        using (LockKey(path))
        {
            try
            {
                File.Delete(path);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }

        return ValueTask.CompletedTask;
    }

    private static string ETagOf(long length, DateTime stamp) => $"{stamp.Ticks:x}-{length:x}";

    private static ObjectMetadata Describe(string key, FileInfo file) =>
        new(key, file.Length, ETagOf(file.Length, file.LastWriteTimeUtc), new DateTimeOffset(file.LastWriteTimeUtc));

    private static ObjectMetadata? TryDescribe(string key, FileInfo file)
    {
        try
        {
            return Describe(key, file);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>A stable FNV-1a hash of the path: every process must pick the same lock for a key.</summary>
    private static uint StripeOf(string path)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(path))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash % LockStripes;
    }

    /// <summary>
    /// Sets the staged file's modification time, its version. Not fsynced again: if a crash loses
    /// it, the object keeps its write time, which only changes its ETag and makes writers re-read.
    /// </summary>
    private static DateTime Stamp(string staged, DateTime notBefore)
    {
        var stamp = new DateTime(Math.Max(DateTime.UtcNow.Ticks, notBefore.Ticks + 1), DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(staged, stamp);
        return stamp;
    }

    private static DateTime? PublishIfAbsent(string staged, string path)
    {
        var stamp = Stamp(staged, DateTime.MinValue);
        return Posix.TryLink(staged, path) ? stamp : null;
    }

    private DateTime? PublishReplacing(string staged, string path, string? expectedETag)
    {
        using (LockKey(path))
        {
            var current = new FileInfo(path);
            if (expectedETag is not null && (!current.Exists || ETagOf(current.Length, current.LastWriteTimeUtc) != expectedETag))
            {
                return null;
            }

            var stamp = Stamp(staged, current.Exists ? current.LastWriteTimeUtc : DateTime.MinValue);
            File.Move(staged, path, overwrite: true);
            return stamp;
        }
    }

    private Posix.FileLock LockKey(string path) => Posix.LockExclusively(Path.Combine(_locks, StripeOf(path).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    private string PathOf(string key) => Path.Combine(_objects, ObjectKey.Validate(key));
}
