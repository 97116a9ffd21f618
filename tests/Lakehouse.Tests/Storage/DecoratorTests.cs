using System.Text;
using IceGate.Lakehouse.Storage;

namespace IceGate.Lakehouse.Tests.Storage;

public sealed class DecoratorTests : IDisposable
{
    private static readonly RetryPolicy s_fastRetries = new() { MaxAttempts = 20, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(10) };

    private readonly string _root = Directory.CreateTempSubdirectory("icegate-decorators-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Compare_and_swap_stays_exact_when_responses_are_lost_and_requests_fail()
    {
        var faults = new FaultInjectingObjectStore(new LocalObjectStore(_root), new FaultPlan { ErrorRate = 0.1, LostResponseRate = 0.1 }, seed: 7);
        var store = new RetryingObjectStore(faults, s_fastRetries);
        await new LocalObjectStore(_root).PutAsync("counter", CasCounter.Initial, cancellationToken: TestContext.Current.CancellationToken);
        var remaining = 300;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                await CasCounter.IncrementAsync(store, "counter", TestContext.Current.CancellationToken);
            }
        })));

        Assert.Equal((300, 300), await CasCounter.ReadAsync(new LocalObjectStore(_root), "counter", TestContext.Current.CancellationToken));
        Assert.True(faults.InjectedLostResponses > 10, $"only {faults.InjectedLostResponses} responses were lost");
        Assert.True(faults.InjectedErrors > 10, $"only {faults.InjectedErrors} errors were injected");
    }

    [Fact]
    public async Task A_create_only_write_whose_response_was_lost_is_reported_as_written_exactly_once()
    {
        var faults = new FaultInjectingObjectStore(new LocalObjectStore(_root), new FaultPlan { LostResponseRate = 1, AppliesTo = (operation, _) => operation == ObjectStoreOperation.Put });
        var store = new RetryingObjectStore(faults, s_fastRetries);

        var mine = await store.PutAsync("segment", "mine"u8.ToArray(), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        var theirs = await store.PutAsync("segment", "theirs"u8.ToArray(), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);

        Assert.True(mine.Written);
        Assert.False(theirs.Written);
        Assert.Equal("mine", Encoding.UTF8.GetString((await store.GetAsync("segment", cancellationToken: TestContext.Current.CancellationToken))!.Content.Span));
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_the_attempts_run_out()
    {
        var faults = new FaultInjectingObjectStore(new LocalObjectStore(_root), new FaultPlan { ErrorRate = 1 });
        var store = new RetryingObjectStore(faults, s_fastRetries with { MaxAttempts = 5 });
        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.GetAsync("anything", cancellationToken: TestContext.Current.CancellationToken));
        Assert.True(error.IsTransient);
        Assert.Equal(5, faults.InjectedErrors);
    }

    [Fact]
    public async Task Metering_counts_requests_bytes_failures_and_lost_conditions_per_operation()
    {
        var metered = new MeteredObjectStore(new LocalObjectStore(_root));
        await metered.PutAsync("a", new byte[100], PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        await metered.PutAsync("a", new byte[50], PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        await metered.GetAsync("a", ByteRange.Suffix(10), TestContext.Current.CancellationToken);
        await metered.GetAsync("missing", cancellationToken: TestContext.Current.CancellationToken);
        await metered.ListAsync("", cancellationToken: TestContext.Current.CancellationToken);
        await metered.DeleteAsync("a", TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<ObjectStoreException>(async () => await metered.HeadAsync("../escape", TestContext.Current.CancellationToken));

        var usage = metered.Usage;
        Assert.Equal(new OperationUsage(Requests: 2, Failures: 0, PreconditionFailures: 1, BytesRead: 0, BytesWritten: 150), usage[ObjectStoreOperation.Put]);
        Assert.Equal(new OperationUsage(Requests: 2, Failures: 0, PreconditionFailures: 0, BytesRead: 10, BytesWritten: 0), usage[ObjectStoreOperation.Get]);
        Assert.Equal(1, usage[ObjectStoreOperation.Head].Failures);
        Assert.Equal(1, usage[ObjectStoreOperation.List].Requests);
        Assert.Equal(1, usage[ObjectStoreOperation.Delete].Requests);
        Assert.Equal(7, usage.TotalRequests);
    }
}
