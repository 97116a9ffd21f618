namespace IceGate.QueryApi;

/// <summary>A query refused or failed for a reason the client can act on, with its HTTP status.</summary>
public sealed class QueryException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status to answer with (400, 404, 408, …).</summary>
    public int Status { get; } = status;
}
