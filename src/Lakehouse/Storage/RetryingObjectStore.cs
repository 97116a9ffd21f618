namespace IceGate.Lakehouse.Storage;

/// <summary>
/// Retries transient failures (network errors, 5xx, throttling) with jittered exponential backoff.
/// </summary>
/// <remarks>
/// Reads, listings, deletes and unconditional writes are idempotent and simply retried. A
/// conditional write is not: after a transient failure it may or may not have been applied, and
/// blindly sending it again could report a lost race for a write that in fact won, or (for a
/// create-only write at a fresh key) hide that it won. So after an unknown outcome the object is read
/// back first: if it holds this write's bytes, the write happened; if it still satisfies the
/// condition, the write is sent again; otherwise it lost. A precondition failure that follows an
/// unknown outcome is checked the same way, since the earlier attempt may be what now stands there.
/// <para>
/// Callers of conditional writes must therefore make each attempt's content unique (a commit id,
/// a writer nonce): two writers putting identical bytes cannot be told apart by anyone, and the
/// loser would be told it won. This is not hypothetical: Ceph RGW answers every lost
/// compare-and-swap race with a 500, so every such race is settled by reading back.
/// </para>
/// </remarks>
public sealed class RetryingObjectStore(IObjectStore inner, RetryPolicy? policy = null) : IObjectStore
{
    private readonly RetryPolicy _policy = policy ?? new RetryPolicy();

    /// <inheritdoc />
    public string Location => inner.Location;

    /// <inheritdoc />
    public ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default) =>
        RetryAsync(() => inner.GetAsync(key, range, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default) =>
        RetryAsync(() => inner.HeadAsync(key, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default) =>
        RetryAsync(() => inner.ListAsync(prefix, continuationToken, maxKeys, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        await RetryAsync(async () =>
        {
            await inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default)
    {
        if (!condition.IsConditional)
        {
            return await RetryAsync(() => inner.PutAsync(key, content, condition, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        var outcomeUnknown = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await inner.PutAsync(key, content, condition, cancellationToken).ConfigureAwait(false);
                if (result.Written || !outcomeUnknown)
                {
                    return result;
                }
            }
            catch (ObjectStoreException e) when (e.IsTransient && attempt < _policy.MaxAttempts)
            {
                outcomeUnknown = true;
            }

            // The outcome of an earlier attempt is unknown: read what stands at the key now.
            var current = await GetAsync(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (current is not null && current.Content.Span.SequenceEqual(content.Span))
            {
                return PutResult.Success(current.ETag);
            }

            var conditionStillHolds = condition.IsIfNoneMatch ? current is null : current?.ETag == condition.IfMatchETag;
            if (!conditionStillHolds)
            {
                return PutResult.PreconditionFailed;
            }

            await Task.Delay(_policy.DelayBefore(attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<T> RetryAsync<T>(Func<ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation().ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.IsTransient && attempt < _policy.MaxAttempts)
            {
                await Task.Delay(_policy.DelayBefore(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
