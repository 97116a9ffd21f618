namespace IceGate.Lakehouse.Storage;

/// <summary>
/// Counts every request that reaches the store beneath it, with bytes moved and outcomes, per kind
/// of request: the source of IceGate's request-cost figures. Put it below
/// <see cref="RetryingObjectStore"/> so that retries count as the requests they are.
/// </summary>
public sealed class MeteredObjectStore(IObjectStore inner) : IObjectStore
{
    private const int Fields = 5;
    private const int RequestsField = 0;
    private const int FailuresField = 1;
    private const int PreconditionField = 2;
    private const int ReadField = 3;
    private const int WrittenField = 4;

    private readonly long[] _counters = new long[Enum.GetValues<ObjectStoreOperation>().Length * Fields];

    /// <summary>A consistent-enough snapshot of the counts so far (each counter is read atomically).</summary>
    public ObjectStoreUsage Usage => new(Enum.GetValues<ObjectStoreOperation>().ToDictionary(
        operation => operation,
        operation => new OperationUsage(
            Read(operation, RequestsField), Read(operation, FailuresField), Read(operation, PreconditionField), Read(operation, ReadField), Read(operation, WrittenField))));

    /// <inheritdoc />
    public string Location => inner.Location;

    /// <inheritdoc />
    public async ValueTask<ObjectData?> GetAsync(string key, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        var data = await MeterAsync(ObjectStoreOperation.Get, () => inner.GetAsync(key, range, cancellationToken)).ConfigureAwait(false);
        Add(ObjectStoreOperation.Get, ReadField, data?.Content.Length ?? 0);
        return data;
    }

    /// <inheritdoc />
    public ValueTask<ObjectMetadata?> HeadAsync(string key, CancellationToken cancellationToken = default) =>
        MeterAsync(ObjectStoreOperation.Head, () => inner.HeadAsync(key, cancellationToken));

    /// <inheritdoc />
    public async ValueTask<PutResult> PutAsync(string key, ReadOnlyMemory<byte> content, PutCondition condition = default, CancellationToken cancellationToken = default)
    {
        Add(ObjectStoreOperation.Put, WrittenField, content.Length);
        var result = await MeterAsync(ObjectStoreOperation.Put, () => inner.PutAsync(key, content, condition, cancellationToken)).ConfigureAwait(false);
        if (!result.Written)
        {
            Add(ObjectStoreOperation.Put, PreconditionField, 1);
        }

        return result;
    }

    /// <inheritdoc />
    public ValueTask<ListPage> ListAsync(string prefix, string? continuationToken = null, int maxKeys = ListPage.MaxKeys, CancellationToken cancellationToken = default) =>
        MeterAsync(ObjectStoreOperation.List, () => inner.ListAsync(prefix, continuationToken, maxKeys, cancellationToken));

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string key, CancellationToken cancellationToken = default) =>
        await MeterAsync(ObjectStoreOperation.Delete, async () =>
        {
            await inner.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private async ValueTask<T> MeterAsync<T>(ObjectStoreOperation operation, Func<ValueTask<T>> call)
    {
        Add(operation, RequestsField, 1);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch
        {
            Add(operation, FailuresField, 1);
            throw;
        }
    }

    private void Add(ObjectStoreOperation operation, int field, long amount) => Interlocked.Add(ref _counters[((int)operation * Fields) + field], amount);

    private long Read(ObjectStoreOperation operation, int field) => Interlocked.Read(ref _counters[((int)operation * Fields) + field]);
}
