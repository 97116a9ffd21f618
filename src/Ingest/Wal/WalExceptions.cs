namespace IceGate.Ingest.Wal;

/// <summary>
/// The WAL refused a request without trying: too much is already waiting to be written. Nothing of
/// the request was stored; the client should retry after <see cref="RetryAfter"/>.
/// </summary>
public sealed class WalBackpressureException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>A suggested pause before retrying.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Writing the segment holding a request failed. The request was not acknowledged; the client
/// should retry. (Its records may exist in a segment whose upload outcome was unknown; the WAL
/// re-reads such uploads before giving up, so this means they were not stored.)
/// </summary>
public sealed class WalWriteException(string message, Exception innerException) : Exception(message, innerException);
