using IceGate.Lakehouse.Storage;
using IceGate.QueryApi;

namespace IceGate.Server.Tests;

public sealed class ObjectCacheTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-cache-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_cache_evicts_the_least_recently_used_unpinned_file_and_keeps_files_being_read()
    {
        var token = TestContext.Current.CancellationToken;
        var store = new LocalObjectStore(Path.Combine(_directory, "data"));
        foreach (var key in (string[])["a", "b", "c"])
        {
            await store.PutAsync(key, new byte[1000], cancellationToken: token);
        }

        using var duck = Lakehouse.DuckDB.DuckDBDatabase.OpenInMemory();
        var cache = new ObjectCache(store, Path.Combine(_directory, "cache"), capacityBytes: 2500, duck.Connect, parallelReads: 2);
        var counters = new QueryCounters();
        using var a = await cache.AcquireAsync("a", counters, token);
        using (var b = await cache.AcquireAsync("b", counters, token))
        {
            Assert.Equal(1000, new FileInfo(b!.Path).Length);
        }

        // a is pinned and b is not: making room for c must drop b.
        using var c = await cache.AcquireAsync("c", counters, token);
        Assert.True(File.Exists(a!.Path));
        Assert.True(File.Exists(c!.Path));
        Assert.Equal(2000, cache.CachedBytes);
        Assert.Equal(3, counters.ObjectsFetched);
        Assert.Equal(0, counters.CacheHits);

        using (var again = await cache.AcquireAsync("a", counters, token))
        {
            Assert.Equal(a.Path, again!.Path);
        }

        Assert.Equal(1, counters.CacheHits);
        string evicted;
        using (var b = await cache.AcquireAsync("b", counters, token))
        {
            // Over capacity while everything is pinned; released, b is the only file that can go.
            Assert.Equal(4, counters.ObjectsFetched);
            Assert.Equal(3000, cache.CachedBytes);
            evicted = b!.Path;
        }

        Assert.Equal(2000, cache.CachedBytes);
        Assert.False(File.Exists(evicted));
        Assert.Null(await cache.AcquireAsync("missing", counters, token));
    }
}
