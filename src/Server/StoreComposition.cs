using IceGate.Lakehouse.Storage;

namespace IceGate.Server;

/// <summary>The store as every component uses it: retries above, request accounting at the bottom, injected faults (if any) between.</summary>
internal sealed class StoreComposition(IObjectStore store, MeteredObjectStore metered, string description) : IDisposable
{
    public IObjectStore Store { get; } = store;

    public MeteredObjectStore Metered { get; } = metered;

    public string Description { get; } = description;

    public static StoreComposition Create(IceGateOptions options)
    {
        var (raw, description) = options.Store.Kind.ToUpperInvariant() switch
        {
            "LOCAL" => ((IObjectStore)new LocalObjectStore(options.DataDirectory), $"local directory {Path.GetFullPath(options.DataDirectory)}"),
            "S3" => (new S3ObjectStore(options.Store.S3), $"s3 bucket {options.Store.S3.Bucket} at {options.Store.S3.Endpoint ?? options.Store.S3.Region}"),
            _ => throw new InvalidOperationException($"Store:Kind must be 'local' or 's3', not '{options.Store.Kind}'."),
        };
        var metered = new MeteredObjectStore(raw);
        var faults = options.Store.Faults;
        IObjectStore below = faults.Any
            ? new FaultInjectingObjectStore(metered, new FaultPlan { ErrorRate = faults.ErrorRate, LostResponseRate = faults.LostResponseRate, LatencyRate = faults.LatencyRate, MaxLatency = faults.MaxLatency })
            : metered;
        return new StoreComposition(new RetryingObjectStore(below, options.Store.Retry), metered, faults.Any ? $"{description} (with injected faults)" : description);
    }

    public void Dispose() => (Store as IDisposable)?.Dispose();
}
