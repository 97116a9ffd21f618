using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// SQL to run on a <see cref="DuckDBConnection"/>: one statement or several separated by semicolons,
/// with <c>$name</c> and positional (<c>?</c>, <c>$1</c>) parameters.
/// </summary>
/// <remarks>
/// A query stops early through <see cref="Cancel"/> (from any thread; DuckDB's interrupt, which
/// leaves the connection usable), through the <see cref="CancellationToken"/> of the async methods,
/// or after <see cref="CommandTimeout"/> seconds. The timeout defaults to 0 (none) because
/// analytical queries and <c>COPY</c> legitimately run long; bound them with a token instead.
/// </remarks>
public sealed class DuckDBCommand : DbCommand
{
    private string _commandText = string.Empty;
    private DuckDBConnection? _connection;

    /// <summary>Creates a command with no connection.</summary>
    public DuckDBCommand()
    {
    }

    /// <summary>Creates a command for a connection.</summary>
    public DuckDBCommand(string commandText, DuckDBConnection connection)
    {
        CommandText = commandText;
        Connection = connection;
    }

    /// <inheritdoc />
    [AllowNull]
    public override string CommandText
    {
        get => _commandText;
        set => _commandText = value ?? string.Empty;
    }

    /// <summary>Seconds after which the query is interrupted; 0 (the default) waits indefinitely.</summary>
    public override int CommandTimeout
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    }

    /// <summary>Only <see cref="CommandType.Text"/> is supported.</summary>
    public override CommandType CommandType
    {
        get => CommandType.Text;
        set
        {
            if (value != CommandType.Text)
            {
                throw new ArgumentException("DuckDB commands are SQL text only.", nameof(value));
            }
        }
    }

    /// <inheritdoc />
    public override bool DesignTimeVisible { get; set; }

    /// <inheritdoc />
    public override UpdateRowSource UpdatedRowSource { get; set; }

    /// <summary>The connection the command runs on.</summary>
    public new DuckDBConnection? Connection
    {
        get => _connection;
        set => _connection = value;
    }

    /// <summary>The command's parameters.</summary>
    public new DuckDBParameterCollection Parameters { get; } = new();

    /// <inheritdoc />
    protected override DbConnection? DbConnection
    {
        get => _connection;
        set => _connection = value switch
        {
            null => null,
            DuckDBConnection duck => duck,
            _ => throw new ArgumentException($"Expected a {nameof(DuckDBConnection)}.", nameof(value)),
        };
    }

    /// <inheritdoc />
    protected override DbParameterCollection DbParameterCollection => Parameters;

    /// <summary>Transactions are per connection in DuckDB; this only records the caller's choice.</summary>
    protected override DbTransaction? DbTransaction { get; set; }

    /// <summary>Interrupts the query running on this command's connection.</summary>
    public override void Cancel() => _connection?.Interrupt();

    /// <summary>Runs every statement and returns the number of rows they changed.</summary>
    public override int ExecuteNonQuery() => ExecuteNonQuery(CancellationToken.None);

    /// <summary>Runs the statements and returns the first column of the first row of the first result, or null.</summary>
    public override object? ExecuteScalar() => ExecuteScalar(CancellationToken.None);

    /// <inheritdoc />
    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => Task.FromResult(ExecuteNonQuery(cancellationToken));

    /// <inheritdoc />
    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => Task.FromResult(ExecuteScalar(cancellationToken));

    /// <summary>Runs the statements and returns a reader positioned before the first row of the first result.</summary>
    public new DuckDBDataReader ExecuteReader() => ExecuteReader(CommandBehavior.Default, CancellationToken.None);

    /// <summary>Runs the statements, cancellable through <paramref name="cancellationToken"/> until the reader is closed.</summary>
    public DuckDBDataReader ExecuteReader(CommandBehavior behavior, CancellationToken cancellationToken)
    {
        var connection = _connection ?? throw new InvalidOperationException("The command has no connection.");
        if (string.IsNullOrWhiteSpace(_commandText))
        {
            throw new InvalidOperationException("The command has no SQL text.");
        }

        return new DuckDBDataReader(this, connection, behavior, cancellationToken);
    }

    /// <summary>Does nothing: DuckDB prepares each statement as it runs.</summary>
    public override void Prepare()
    {
    }

    /// <summary>Creates a parameter; add it to <see cref="Parameters"/> to use it.</summary>
    public new DuckDBParameter CreateParameter() => new();

    /// <inheritdoc />
    protected override DbParameter CreateDbParameter() => CreateParameter();

    /// <inheritdoc />
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteReader(behavior, CancellationToken.None);

    /// <inheritdoc />
    protected override Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        Task.FromResult<DbDataReader>(ExecuteReader(behavior, cancellationToken));

    private int ExecuteNonQuery(CancellationToken cancellationToken)
    {
        using var reader = ExecuteReader(CommandBehavior.Default, cancellationToken);
        while (reader.NextResult())
        {
        }

        return reader.RecordsAffected;
    }

    private object? ExecuteScalar(CancellationToken cancellationToken)
    {
        using var reader = ExecuteReader(CommandBehavior.SingleRow, cancellationToken);
        return reader.Read() ? reader.GetValue(0) : null;
    }
}
