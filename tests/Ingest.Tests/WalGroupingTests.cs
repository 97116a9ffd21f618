using IceGate.Ingest.Otlp;
using IceGate.Ingest.Wal;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace IceGate.Ingest.Tests;

/// <summary>How the WAL groups requests into segments, seen through the segments a real store receives.</summary>
public sealed class WalGroupingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("icegate-grouping-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_group_closes_at_its_share_of_the_size_bound_while_a_builder_is_free_and_at_the_bound_when_none_is()
    {
        using var sample = Request(0);
        var unit = sample.ByteCount;
        var store = new GatedStore(new LocalObjectStore(Path.Combine(_root, "store")));
        // The window is far longer than the test: every group here closes by size.
        var options = new WalOptions { GroupWindow = TimeSpan.FromMinutes(5), MaxGroupBytes = 4 * unit, Builders = 2, ScratchDirectory = Path.Combine(_root, "scratch") };
        var acknowledged = new List<Task<WalSegment>>();
        await using (var wal = new WalWriter(store, TableSchemas.Logs, SegmentLayout.Identity(TableSchemas.Logs), options, NullLogger.Instance))
        {
            // Both builders free: two requests (half the bound) make a group, whose PUT then waits at the gate.
            acknowledged.Add(wal.AppendAsync(Request(1)));
            acknowledged.Add(wal.AppendAsync(Request(2)));
            await store.WaitForPutsAsync(1);

            // One builder free: again two.
            acknowledged.Add(wal.AppendAsync(Request(3)));
            acknowledged.Add(wal.AppendAsync(Request(4)));
            await store.WaitForPutsAsync(2);

            // Both builders busy: the group takes the whole bound, four requests.
            for (var i = 5; i <= 8; i++)
            {
                acknowledged.Add(wal.AppendAsync(Request(i)));
            }

            await Task.Delay(500);
            Assert.All(acknowledged, task => Assert.False(task.IsCompleted, "nothing is acknowledged before its segment is stored"));
            store.Open();
            await Task.WhenAll(acknowledged).WaitAsync(TimeSpan.FromSeconds(30));
        }

        var segments = acknowledged.Select(task => task.Result.Key).ToList();
        Assert.Equal(3, segments.Distinct().Count());
        Assert.Equal([2, 2, 2, 2, 4, 4, 4, 4], segments.Select(key => segments.Count(other => other == key)));
        Assert.Equal(80, CountRows(Path.Combine(_root, "store", "objects", "wal", "logs")));
    }

    // Ten records: every request decodes to the same number of bytes.
    private static ISignalBatch Request(int number) =>
        OtlpDecoder.Decode(Signal.Logs, Proto.Logs("checkout", Enumerable.Range(0, 10).Select(i => $"request {number:D2} line {i:D2}").ToArray()), "acme", 1);

    private static long CountRows(string directory)
    {
        using var duck = new DuckDBConnection();
        duck.Open();
        using var command = new DuckDBCommand($"SELECT count(*) FROM read_parquet('{directory}/*.parquet')", duck);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>A real store whose WAL PUTs wait until <see cref="Open"/>: builders stay busy as long as the test needs.</summary>
    private sealed class GatedStore(IObjectStore inner) : IObjectStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiting;

        public string Location => inner.Location;

        public void Open() => _gate.TrySetResult();

        public async Task WaitForPutsAsync(int count)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (Volatile.Read(ref _waiting) < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{count} segments should have been built by now");
                await Task.Delay(20);
            }
        }

        public async ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default)
        {
            if (key.StartsWith("wal/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _waiting);
                await _gate.Task.WaitAsync(cancellationToken);
            }

            return await inner.PutAsync(key, content, condition, cancellationToken);
        }

        public ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default) => inner.GetAsync(key, range, cancellationToken);

        public ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default) => inner.HeadAsync(key, cancellationToken);

        public ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, continuationToken, maxKeys, cancellationToken);

        public ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }
}
