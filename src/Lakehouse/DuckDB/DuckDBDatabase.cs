namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// One in-memory DuckDB instance shared by many connections: they see the same settings, memory
/// limit, thread pool and caches (such as Parquet metadata), while each keeps its own temporary
/// objects. Connections opened with a connection string each get an instance of their own.
/// </summary>
public sealed class DuckDBDatabase : IDisposable
{
    private nint _handle;

    private DuckDBDatabase(nint handle) => _handle = handle;

    /// <summary>Opens an in-memory database with start-up settings (such as <c>memory_limit</c>, <c>threads</c>).</summary>
    public static DuckDBDatabase OpenInMemory(IReadOnlyDictionary<string, string>? settings = null) =>
        new(DuckDBConnection.OpenDatabase(null, settings ?? new Dictionary<string, string>()));

    /// <summary>Opens a new connection to this database; disposing it leaves the database open.</summary>
    public DuckDBConnection Connect()
    {
        var handle = _handle;
        ObjectDisposedException.ThrowIf(handle == 0, this);
        var connection = new DuckDBConnection();
        connection.Connect(handle);
        return connection;
    }

    /// <summary>Closes the database; connections still open keep it alive until they close.</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            DuckDBConnection.CloseDatabase(handle);
        }
    }
}
