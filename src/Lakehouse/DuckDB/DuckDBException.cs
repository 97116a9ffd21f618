using System.Data.Common;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// An error reported by DuckDB itself: a query that does not parse or bind, a constraint or
/// conversion failure, an interrupted query, a database that cannot be opened.
/// </summary>
/// <remarks>
/// The provider's error taxonomy:
/// <list type="bullet">
/// <item><see cref="DuckDBException"/>: DuckDB refused or failed the work; <see cref="ErrorType"/> says how.
/// A query stopped by <see cref="System.Data.Common.DbCommand.Cancel"/> has <see cref="DuckDBErrorType.Interrupt"/>.</item>
/// <item><see cref="OperationCanceledException"/>: a query stopped because its <see cref="CancellationToken"/> fired.</item>
/// <item><see cref="ArgumentException"/>, <see cref="InvalidOperationException"/>, <see cref="InvalidCastException"/>,
/// <see cref="ObjectDisposedException"/>: misuse by the caller (unknown parameter, closed connection,
/// reading a column as the wrong type); DuckDB was not consulted or its answer was not the problem.</item>
/// </list>
/// </remarks>
public sealed class DuckDBException : DbException
{
    /// <summary>Creates an exception with DuckDB's message and error type.</summary>
    public DuckDBException(string message, DuckDBErrorType errorType)
        : base(message) => ErrorType = errorType;

    /// <summary>DuckDB's classification of the error.</summary>
    public DuckDBErrorType ErrorType { get; }
}
