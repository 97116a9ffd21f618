namespace IceGate.Catalog;

/// <summary>How a catalog operation was refused.</summary>
public enum CatalogErrorKind
{
    /// <summary>The namespace does not exist.</summary>
    NamespaceNotFound,

    /// <summary>The table does not exist (its namespace does).</summary>
    TableNotFound,

    /// <summary>The requested snapshot is not retained (or there was none at the requested time).</summary>
    SnapshotNotFound,

    /// <summary>The namespace or table already exists.</summary>
    AlreadyExists,

    /// <summary>The namespace still holds tables.</summary>
    NotEmpty,

    /// <summary>
    /// The commit's requirements no longer hold (a file to replace or delete is no longer live),
    /// or it kept losing races until its attempts ran out.
    /// </summary>
    CommitConflict,
}

/// <summary>A catalog operation that cannot be done as asked; failures of the store itself stay <c>ObjectStoreException</c>.</summary>
public sealed class CatalogException(CatalogErrorKind kind, string message) : Exception(message)
{
    /// <summary>How the operation was refused.</summary>
    public CatalogErrorKind Kind { get; } = kind;
}
