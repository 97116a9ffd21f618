using System.Data;
using System.Data.Common;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>A DuckDB transaction (snapshot isolation). Disposing one that was not committed rolls it back.</summary>
public sealed class DuckDBTransaction : DbTransaction
{
    private DuckDBConnection? _connection;

    internal DuckDBTransaction(DuckDBConnection connection)
    {
        Execute(connection, "BEGIN TRANSACTION");
        _connection = connection;
        connection.Transaction = this;
    }

    /// <inheritdoc />
    public override IsolationLevel IsolationLevel => IsolationLevel.Snapshot;

    /// <inheritdoc />
    protected override DbConnection? DbConnection => _connection;

    /// <inheritdoc />
    public override void Commit() => Complete("COMMIT");

    /// <inheritdoc />
    public override void Rollback() => Complete("ROLLBACK");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _connection is { State: ConnectionState.Open })
        {
            Complete("ROLLBACK");
        }

        _connection = null;
        base.Dispose(disposing);
    }

    private void Complete(string statement)
    {
        var connection = _connection ?? throw new InvalidOperationException("The transaction has already been committed or rolled back.");
        _connection = null;
        connection.Transaction = null;
        Execute(connection, statement);
    }

    private static void Execute(DuckDBConnection connection, string statement)
    {
        using var command = connection.CreateCommand();
        command.CommandText = statement;
        command.ExecuteNonQuery();
    }
}
