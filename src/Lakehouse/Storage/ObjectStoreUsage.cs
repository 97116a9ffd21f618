namespace IceGate.Lakehouse.Storage;

/// <summary>The kinds of request an object store serves, as S3 bills them.</summary>
public enum ObjectStoreOperation
{
    /// <summary>GET, whole or ranged.</summary>
    Get,

    /// <summary>HEAD.</summary>
    Head,

    /// <summary>PUT, conditional or not.</summary>
    Put,

    /// <summary>LIST (one page).</summary>
    List,

    /// <summary>DELETE.</summary>
    Delete,
}

/// <summary>Counts for one kind of request.</summary>
/// <param name="Requests">Requests sent, whatever their outcome.</param>
/// <param name="Failures">Requests that threw.</param>
/// <param name="PreconditionFailures">Conditional writes refused because their condition did not hold.</param>
/// <param name="BytesRead">Object bytes received.</param>
/// <param name="BytesWritten">Object bytes sent.</param>
public readonly record struct OperationUsage(long Requests, long Failures, long PreconditionFailures, long BytesRead, long BytesWritten);

/// <summary>Counts per kind of request, from <see cref="MeteredObjectStore.Usage"/>.</summary>
public sealed record ObjectStoreUsage(IReadOnlyDictionary<ObjectStoreOperation, OperationUsage> Operations)
{
    /// <summary>All requests of every kind.</summary>
    public long TotalRequests => Operations.Values.Sum(o => o.Requests);

    /// <summary>Counts for one kind of request.</summary>
    public OperationUsage this[ObjectStoreOperation operation] => Operations.TryGetValue(operation, out var usage) ? usage : default;
}
