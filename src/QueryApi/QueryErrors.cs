using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Storage;

namespace IceGate.QueryApi;

/// <summary>How every query endpoint (SQL, Loki, Grafana) tells failures apart and answers them.</summary>
internal static class QueryErrors
{
    /// <summary>Whether the query was stopped: the client left or the timeout passed.</summary>
    public static bool IsCancellation(Exception e) => e is OperationCanceledException or DuckDBException { ErrorType: DuckDBErrorType.Interrupt };

    /// <summary>
    /// The status of a failure that has one: the client's mistake (400, 404, …; DuckDB's errors
    /// about the SQL), DuckDB's own trouble (500, or 503 out of memory), or the store or the
    /// catalog failing us (503: worth trying again later). Null for anything else.
    /// </summary>
    public static int? Status(Exception e) => e switch
    {
        QueryException q => q.Status,
        DuckDBException { ErrorType: DuckDBErrorType.IO or DuckDBErrorType.Fatal or DuckDBErrorType.Internal } => 500,
        DuckDBException { ErrorType: DuckDBErrorType.OutOfMemory } => 503,
        DuckDBException => 400,
        CatalogException or ObjectStoreException => 503,
        _ => null,
    };
}
