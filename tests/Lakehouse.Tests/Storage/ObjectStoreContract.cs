using System.Security.Cryptography;
using System.Text;
using IceGate.Lakehouse.Storage;

namespace IceGate.Lakehouse.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IObjectStore"/> must show, run against each real store as the
/// service composes it (retries on top). Each test works under its own key prefix.
/// </summary>
public abstract class ObjectStoreContract
{
    private readonly string _prefix = $"contract/{Guid.NewGuid():N}/";

    protected abstract IObjectStore Store { get; }

    [Fact]
    public async Task Of_sixteen_create_only_writers_exactly_one_wins_each_of_a_hundred_rounds()
    {
        const int writers = 16;
        const int rounds = 100;
        for (var round = 0; round < rounds; round++)
        {
            var key = Key($"race/{round}");
            using var start = new Barrier(writers);
            var attempts = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
            {
                start.SignalAndWait(TestContext.Current.CancellationToken);
                return (Writer: writer, Result: await Store.PutAsync(key, Encoding.UTF8.GetBytes($"writer {writer}"), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken));
            })).ToArray();
            var results = await Task.WhenAll(attempts);

            var winners = results.Where(r => r.Result.Written).ToList();
            var winner = Assert.Single(winners);
            var stored = await Store.GetAsync(key, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal($"writer {winner.Writer}", Encoding.UTF8.GetString(stored!.Content.Span));
            Assert.Equal(winner.Result.ETag, stored.ETag);
        }
    }

    [Fact]
    public async Task Eight_compare_and_swap_writers_count_to_exactly_five_hundred()
    {
        var key = Key("counter");
        Assert.True((await Store.PutAsync(key, CasCounter.Initial, PutCondition.IfNoneMatch, TestContext.Current.CancellationToken)).Written);
        var remaining = 500;
        var conflicts = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                Interlocked.Add(ref conflicts, await CasCounter.IncrementAsync(Store, key, TestContext.Current.CancellationToken));
            }
        })));

        Assert.Equal((500, 500), await CasCounter.ReadAsync(Store, key, TestContext.Current.CancellationToken));
        Assert.True(conflicts > 0, "eight writers on one key should have collided at least once");
    }

    [Fact]
    public async Task Etags_change_with_every_write_and_agree_between_put_get_head_and_list()
    {
        var key = Key("versioned");
        var first = await Store.PutAsync(key, "same bytes"u8.ToArray(), cancellationToken: TestContext.Current.CancellationToken);
        var head = await Store.HeadAsync(key, TestContext.Current.CancellationToken);
        Assert.Equal(first.ETag, head!.ETag);
        Assert.Equal(10, head.Length);

        var second = await Store.PutAsync(key, "new bytes!"u8.ToArray(), PutCondition.IfMatch(first.ETag!), TestContext.Current.CancellationToken);
        Assert.True(second.Written);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.False((await Store.PutAsync(key, "stale"u8.ToArray(), PutCondition.IfMatch(first.ETag!), TestContext.Current.CancellationToken)).Written);
        Assert.False((await Store.PutAsync(key, "exists"u8.ToArray(), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken)).Written);

        var data = await Store.GetAsync(key, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(second.ETag, data!.ETag);
        Assert.Equal("new bytes!", Encoding.UTF8.GetString(data.Content.Span));
        var listed = Assert.Single((await Store.ListAsync(Key("versioned"), cancellationToken: TestContext.Current.CancellationToken)).Objects);
        Assert.Equal(second.ETag, listed.ETag);
        Assert.Equal(key, listed.Key);
    }

    [Fact]
    public async Task Ranged_and_suffix_reads_return_exactly_the_requested_bytes()
    {
        var key = Key("ranged");
        var content = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        await Store.PutAsync(key, content, cancellationToken: TestContext.Current.CancellationToken);

        var middle = await Store.GetAsync(key, ByteRange.FromOffset(2, 4), TestContext.Current.CancellationToken);
        Assert.Equal(content[2..6], middle!.Content.ToArray());
        Assert.Equal(1000, middle.ObjectLength);

        var suffix = await Store.GetAsync(key, ByteRange.Suffix(8), TestContext.Current.CancellationToken);
        Assert.Equal(content[^8..], suffix!.Content.ToArray());
        Assert.Equal(1000, suffix.ObjectLength);

        var pastEnd = await Store.GetAsync(key, ByteRange.FromOffset(990, 100), TestContext.Current.CancellationToken);
        Assert.Equal(content[990..], pastEnd!.Content.ToArray());

        var longerSuffix = await Store.GetAsync(key, ByteRange.Suffix(5000), TestContext.Current.CancellationToken);
        Assert.Equal(content, longerSuffix!.Content.ToArray());

        var invalid = await Assert.ThrowsAsync<ObjectStoreException>(async () => await Store.GetAsync(key, ByteRange.FromOffset(1000, 1), TestContext.Current.CancellationToken));
        Assert.Equal(ObjectStoreErrorKind.InvalidRange, invalid.Kind);
    }

    [Fact]
    public async Task Listing_more_than_2500_keys_pages_in_key_order_within_the_prefix()
    {
        var expected = Enumerable.Range(0, 2600).Select(i => Key($"list/a/{i:D5}")).ToList();
        var others = new[] { Key("list/ab"), Key("list/b/1"), Key("lis") };
        await Parallel.ForEachAsync(expected.Concat(others), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = TestContext.Current.CancellationToken }, async (key, ct) =>
            await Store.PutAsync(key, Encoding.UTF8.GetBytes(key), cancellationToken: ct));

        var pages = 0;
        var listed = new List<string>();
        string? token = null;
        do
        {
            var page = await Store.ListAsync(Key("list/a/"), token, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(page.Objects.Count <= ListPage.MaxKeys);
            listed.AddRange(page.Objects.Select(o => o.Key));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(expected, listed);

        var small = await Store.ListAsync(Key("list/"), maxKeys: 10, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(10, small.Objects.Count);
        Assert.NotNull(small.ContinuationToken);

        var all = new List<string>();
        await foreach (var item in Store.ListAllAsync(Key("list/a"), TestContext.Current.CancellationToken))
        {
            all.Add(item.Key);
        }

        Assert.Equal(expected.Append(Key("list/ab")), all);
        Assert.Empty((await Store.ListAsync(Key("nothing-here/"), cancellationToken: TestContext.Current.CancellationToken)).Objects);
    }

    [Fact]
    public async Task Missing_objects_are_null_and_deleting_them_succeeds()
    {
        var key = Key("missing");
        Assert.Null(await Store.GetAsync(key, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Null(await Store.GetAsync(key, ByteRange.Suffix(4), TestContext.Current.CancellationToken));
        Assert.Null(await Store.HeadAsync(key, TestContext.Current.CancellationToken));
        await Store.DeleteAsync(key, TestContext.Current.CancellationToken);
        Assert.False((await Store.PutAsync(key, "x"u8.ToArray(), PutCondition.IfMatch("no-such-etag"), TestContext.Current.CancellationToken)).Written);
        Assert.Null(await Store.HeadAsync(key, TestContext.Current.CancellationToken));

        await Store.PutAsync(key, "x"u8.ToArray(), cancellationToken: TestContext.Current.CancellationToken);
        await Store.DeleteAsync(key, TestContext.Current.CancellationToken);
        Assert.Null(await Store.GetAsync(key, cancellationToken: TestContext.Current.CancellationToken));
        Assert.True((await Store.PutAsync(key, "again"u8.ToArray(), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken)).Written);
    }

    [Fact]
    public async Task Objects_of_32_MiB_and_more_round_trip_whole_and_in_ranges()
    {
        var key = Key("large");
        var content = new byte[(32 << 20) + 12345];
        new Random(42).NextBytes(content);
        var put = await Store.PutAsync(key, content, PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        Assert.True(put.Written);

        var whole = await Store.GetAsync(key, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(whole!.Content.Span));
        var tail = await Store.GetAsync(key, ByteRange.Suffix(1 << 20), TestContext.Current.CancellationToken);
        Assert.True(tail!.Content.Span.SequenceEqual(content.AsSpan(content.Length - (1 << 20))));
        Assert.Equal(content.Length, (await Store.HeadAsync(key, TestContext.Current.CancellationToken))!.Length);
    }

    [Fact]
    public async Task Malformed_keys_are_rejected()
    {
        foreach (var key in new[] { "", "/absolute", "a//b", "a/../b", "./a", "a/", "nul\0byte", new string('k', 1025) })
        {
            var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await Store.PutAsync(key, "x"u8.ToArray(), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(ObjectStoreErrorKind.InvalidKey, error.Kind);
        }
    }

    protected string Key(string name) => _prefix + name;
}
