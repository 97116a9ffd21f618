namespace IceGate.Lakehouse.Storage;

/// <summary>The faults a <see cref="FaultInjectingObjectStore"/> injects, each as a probability per operation.</summary>
public sealed record FaultPlan
{
    /// <summary>The operation fails with a transient error before reaching the store.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The operation reaches the store and succeeds, then fails with a transient error as if the response were lost.</summary>
    public double LostResponseRate { get; init; }

    /// <summary>The operation is delayed by up to <see cref="MaxLatency"/>.</summary>
    public double LatencyRate { get; init; }

    /// <summary>The longest injected delay.</summary>
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Which operations are subject to faults; all by default.</summary>
    public Func<ObjectStoreOperation, string, bool> AppliesTo { get; init; } = static (_, _) => true;
}

/// <summary>
/// Wraps a real store and makes it misbehave on purpose, for tests of everything above it: errors
/// before a request, lost responses after a request that took effect, and latency.
/// </summary>
public sealed class FaultInjectingObjectStore(IObjectStore inner, FaultPlan plan, int? seed = null) : IObjectStore
{
    private readonly Random _random = seed is { } s ? new Random(s) : new Random();
    private long _errors;
    private long _lostResponses;

    /// <summary>Errors injected before a request so far.</summary>
    public long InjectedErrors => Interlocked.Read(ref _errors);

    /// <summary>Responses dropped after a request took effect so far.</summary>
    public long InjectedLostResponses => Interlocked.Read(ref _lostResponses);

    /// <inheritdoc />
    public string Location => inner.Location;

    /// <inheritdoc />
    public ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default) =>
        InjectAsync(ObjectStoreOperation.Get, key, () => inner.GetAsync(key, range, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default) =>
        InjectAsync(ObjectStoreOperation.Head, key, () => inner.HeadAsync(key, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default) =>
        InjectAsync(ObjectStoreOperation.Put, key, () => inner.PutAsync(key, content, condition, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default) =>
        InjectAsync(ObjectStoreOperation.List, prefix, () => inner.ListAsync(prefix, continuationToken, maxKeys, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        await InjectAsync(ObjectStoreOperation.Delete, key, async () =>
        {
            await inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    private async ValueTask<T> InjectAsync<T>(ObjectStoreOperation operation, string key, Func<ValueTask<T>> call, CancellationToken cancellationToken)
    {
        if (!plan.AppliesTo(operation, key))
        {
            return await call().ConfigureAwait(false);
        }

        if (Roll(plan.LatencyRate))
        {
            await Task.Delay(TimeSpan.FromTicks((long)(plan.MaxLatency.Ticks * Sample())), cancellationToken).ConfigureAwait(false);
        }

        if (Roll(plan.ErrorRate))
        {
            Interlocked.Increment(ref _errors);
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, $"Injected failure of {operation} '{key}' before it reached the store.");
        }

        var result = await call().ConfigureAwait(false);
        if (Roll(plan.LostResponseRate))
        {
            Interlocked.Increment(ref _lostResponses);
            throw new ObjectStoreException(ObjectStoreErrorKind.Transient, $"Injected loss of the response to {operation} '{key}', which took effect.");
        }

        return result;
    }

    private bool Roll(double probability) => probability > 0 && Sample() < probability;

    private double Sample()
    {
        lock (_random)
        {
            return _random.NextDouble();
        }
    }
}
