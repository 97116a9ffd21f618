using BenchmarkDotNet.Attributes;
using IceGate.Lakehouse.Storage;

namespace IceGate.Benchmarks;

/// <summary>
/// Latency of the embedded store's durable writes (create-only, the WAL's kind of write; and
/// compare-and-swap, the catalog's) and of reads, for a small and a WAL-segment-sized object.
/// Each write fsyncs the file and its directory, so the disk's flush latency dominates.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[ShortRunJob]
public class LocalStoreBenchmark
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"icegate-bench-{Guid.NewGuid():N}");
    private LocalObjectStore _store = null!;
    private byte[] _content = null!;
    private string _etag = null!;
    private long _next;

    [Params(4 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = new LocalObjectStore(_root);
        _content = new byte[Size];
        Random.Shared.NextBytes(_content);
        _etag = _store.PutAsync("read/object", _content).AsTask().GetAwaiter().GetResult().ETag!;
    }

    [Benchmark(Description = "put create-only")]
    public async Task<bool> PutCreateOnly() => (await _store.PutAsync($"wal/{Interlocked.Increment(ref _next):D12}", _content, PutCondition.IfNoneMatch)).Written;

    [Benchmark(Description = "put compare-and-swap")]
    public async Task<bool> PutCompareAndSwap()
    {
        var result = await _store.PutAsync("read/object", _content, PutCondition.IfMatch(_etag));
        _etag = result.ETag!;
        return result.Written;
    }

    [Benchmark(Description = "get whole")]
    public async Task<int> Get() => (await _store.GetAsync("read/object"))!.Content.Length;

    [Benchmark(Description = "get last 8 bytes")]
    public async Task<int> GetSuffix() => (await _store.GetAsync("read/object", ByteRange.Suffix(8)))!.Content.Length;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);
}
