namespace IceGate.Lakehouse.Storage;

/// <summary>How an object store operation failed.</summary>
public enum ObjectStoreErrorKind
{
    /// <summary>A failure that may pass: a network error, a timeout, a 5xx, throttling. For a write, whether it happened is unknown.</summary>
    Transient,

    /// <summary>The requested range starts past the end of the object.</summary>
    InvalidRange,

    /// <summary>The credentials do not allow the operation.</summary>
    AccessDenied,

    /// <summary>The key is not one the store accepts.</summary>
    InvalidKey,

    /// <summary>Anything else the store refused; trying again will not help.</summary>
    Permanent,
}

/// <summary>
/// A failure of the object store itself. Expected outcomes (missing objects, failed write
/// conditions) are return values, never this exception.
/// </summary>
public sealed class ObjectStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ObjectStoreException(ObjectStoreErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException) => Kind = kind;

    /// <summary>How the operation failed.</summary>
    public ObjectStoreErrorKind Kind { get; }

    /// <summary>True if trying again may succeed; after a transient failure of a write, whether it was applied is unknown.</summary>
    public bool IsTransient => Kind == ObjectStoreErrorKind.Transient;
}
