using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using IceGate.Lakehouse.DuckDB.Internal;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// A connection to a DuckDB database over the native C API.
/// </summary>
/// <remarks>
/// Connection string: <c>Data Source=&lt;path&gt;</c> (default <c>:memory:</c>, a private in-memory
/// database per connection), and any DuckDB setting as <c>name=value</c> (for example
/// <c>threads=2;memory_limit=1GB;temp_directory=/tmp/x</c>). All connections to one path within
/// the process share one database instance, because two instances over one file corrupt it.
/// Like every ADO.NET connection, an instance is not for use from two threads at once; open one
/// connection per concurrent query.
/// </remarks>
public sealed class DuckDBConnection : DbConnection
{
    private const string MemoryDataSource = ":memory:";

    // Process lifetime: the cache hands out one database instance per path to every connection.
    private static readonly nint s_instanceCache = NativeMethods.duckdb_create_instance_cache();

    private string _connectionString = string.Empty;
    private string _dataSource = MemoryDataSource;
    private Dictionary<string, string> _settings = [];
    private nint _database;
    private nint _connection;
    private DuckDBDataReader? _openReader;

    /// <summary>Creates a closed connection with no connection string (an in-memory database).</summary>
    public DuckDBConnection()
    {
    }

    /// <summary>Creates a closed connection.</summary>
    public DuckDBConnection(string connectionString) => ConnectionString = connectionString;

    /// <inheritdoc />
    [AllowNull]
    public override string ConnectionString
    {
        get => _connectionString;
        set
        {
            if (State != ConnectionState.Closed)
            {
                throw new InvalidOperationException("The connection string cannot change while the connection is open.");
            }

            var builder = new DbConnectionStringBuilder { ConnectionString = value ?? string.Empty };
            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var dataSource = MemoryDataSource;
            foreach (string key in builder.Keys)
            {
                var text = Convert.ToString(builder[key], System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                if (key.Equals("Data Source", StringComparison.OrdinalIgnoreCase) || key.Equals("DataSource", StringComparison.OrdinalIgnoreCase))
                {
                    dataSource = text.Length == 0 ? MemoryDataSource : text;
                }
                else
                {
                    settings[key] = text;
                }
            }

            _connectionString = value ?? string.Empty;
            _dataSource = dataSource;
            _settings = settings;
        }
    }

    /// <inheritdoc />
    public override string Database => _dataSource;

    /// <inheritdoc />
    public override string DataSource => _dataSource;

    /// <summary>The version of the loaded libduckdb, such as <c>v1.5.6</c>.</summary>
    public override unsafe string ServerVersion => Utf8Text.FromNative(NativeMethods.duckdb_library_version());

    /// <inheritdoc />
    public override ConnectionState State => _connection != 0 ? ConnectionState.Open : ConnectionState.Closed;

    internal DuckDBTransaction? Transaction { get; set; }

    internal nint Handle
    {
        get
        {
            if (_connection == 0)
            {
                throw new InvalidOperationException("The connection is not open.");
            }

            return _connection;
        }
    }

    /// <inheritdoc />
    public override void Open()
    {
        if (_connection != 0)
        {
            throw new InvalidOperationException("The connection is already open.");
        }

        _database = OpenDatabase(_dataSource == MemoryDataSource ? null : Path.GetFullPath(_dataSource), _settings);
        Connect(_database);
    }

    /// <summary>
    /// Opens a database: a new in-memory one for a null <paramref name="path"/>, else the process's
    /// one instance for that file. The caller closes the handle.
    /// </summary>
    internal static unsafe nint OpenDatabase(string? path, IReadOnlyDictionary<string, string> settings)
    {
        NativeMethods.duckdb_create_config(out var config);
        try
        {
            foreach (var (name, value) in settings)
            {
                NativeMethods.duckdb_set_config(config, name, value);
            }

            byte* error;
            var state = path is null
                ? NativeMethods.duckdb_open_ext(MemoryDataSource, out var database, config, out error)
                : NativeMethods.duckdb_get_or_create_from_cache(s_instanceCache, path, out database, config, out error);
            if (state != DuckDBState.Success)
            {
                var message = error is null ? $"Could not open DuckDB database '{path ?? MemoryDataSource}'." : Utf8Text.FromNativeAndFree(error);
                NativeMethods.duckdb_close(ref database);
                throw new DuckDBException(message, NativeErrors.ClassifyMessage(message));
            }

            return database;
        }
        finally
        {
            NativeMethods.duckdb_destroy_config(ref config);
        }
    }

    /// <summary>Connects to <paramref name="database"/>; the connection closes it too only if it opened it.</summary>
    internal void Connect(nint database)
    {
        if (NativeMethods.duckdb_connect(database, out _connection) != DuckDBState.Success)
        {
            Close();
            throw new DuckDBException($"Could not connect to DuckDB database '{_dataSource}'.", DuckDBErrorType.Connection);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        _openReader?.Dispose();
        Transaction = null;
        var connection = Interlocked.Exchange(ref _connection, 0);
        if (connection != 0)
        {
            NativeMethods.duckdb_disconnect(ref connection);
        }

        var database = Interlocked.Exchange(ref _database, 0);
        if (database != 0)
        {
            CloseDatabase(database);
        }
    }

    internal static void CloseDatabase(nint database) => NativeMethods.duckdb_close(ref database);

    /// <summary>Not supported: a connection is bound to its data source.</summary>
    public override void ChangeDatabase(string databaseName) =>
        throw new NotSupportedException("DuckDB connections cannot change database; ATTACH one instead.");

    /// <summary>Creates a command on this connection.</summary>
    public new DuckDBCommand CreateCommand() => new() { Connection = this };

    /// <summary>Starts a transaction; DuckDB runs every transaction as snapshot isolation.</summary>
    public new DuckDBTransaction BeginTransaction() => (DuckDBTransaction)BeginDbTransaction(IsolationLevel.Unspecified);

    /// <summary>
    /// Creates an appender that bulk-loads rows into <paramref name="table"/> chunk by chunk, several
    /// hundred times faster than INSERT statements.
    /// </summary>
    public DuckDBAppender CreateAppender(string table, string? schema = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        return DuckDBAppender.Create(this, schema, table);
    }

    /// <summary>
    /// Creates a buffer of rows with the columns of <paramref name="template"/> that queries on this
    /// database scan where they are, without storing them in a table.
    /// </summary>
    public DuckDBRowBuffer CreateRowBuffer(string template, string? schema = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(template);
        return DuckDBRowBuffer.Create(this, schema, template);
    }

    /// <summary>Whether this connection registered the scan function of <see cref="DuckDBRowBuffer"/>.</summary>
    internal bool RowBufferScanRegistered { get; set; }

    /// <summary>Interrupts whatever query is running on this connection, from any thread.</summary>
    internal void Interrupt()
    {
        var connection = _connection;
        if (connection != 0)
        {
            NativeMethods.duckdb_interrupt(connection);
        }
    }

    internal void EnterReader(DuckDBDataReader reader)
    {
        if (_openReader is not null)
        {
            throw new InvalidOperationException("The connection already has an open data reader; close it first.");
        }

        _openReader = reader;
    }

    internal void LeaveReader(DuckDBDataReader reader)
    {
        if (ReferenceEquals(_openReader, reader))
        {
            _openReader = null;
        }
    }

    /// <inheritdoc />
    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        if (isolationLevel is not (IsolationLevel.Unspecified or IsolationLevel.Snapshot or IsolationLevel.Serializable))
        {
            throw new ArgumentException($"DuckDB offers snapshot isolation only, not {isolationLevel}.", nameof(isolationLevel));
        }

        if (Transaction is not null)
        {
            throw new InvalidOperationException("A transaction is already in progress on this connection.");
        }

        return new DuckDBTransaction(this);
    }

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand() => CreateCommand();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Close();
        base.Dispose(disposing);
    }
}
