using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using IceGate.Lakehouse.DuckDB.Internal;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// Rows written like an <see cref="DuckDBAppender"/>'s, but kept in the chunks they were written into
/// and scanned by SQL in place through <see cref="ToTableExpression"/> (for example
/// <c>COPY (SELECT … FROM icegate_rows(7)) TO …</c>): no table stores them, so nothing is copied twice.
/// Columns are named and typed like a template table's.
/// </summary>
/// <remarks>
/// Text stays in this buffer's native memory, so dispose it only after the queries that read it
/// have finished.
/// </remarks>
public sealed unsafe class DuckDBRowBuffer : DuckDBRowWriter
{
    private const string FunctionName = "icegate_rows";

    // Queries name a buffer by number, so SQL can never reach memory that is not a live buffer.
    private static readonly ConcurrentDictionary<long, DuckDBRowBuffer> s_live = new();
    private static long s_lastId;

    private readonly long _id;
    private readonly byte[][] _columnNames;
    private readonly nint[] _logicalTypes;
    private readonly List<nint> _chunks = [];

    private DuckDBRowBuffer(string table, byte[][] columnNames, nint[] logicalTypes)
        : base(table, logicalTypes)
    {
        _columnNames = columnNames;
        _logicalTypes = logicalTypes;
        _id = Interlocked.Increment(ref s_lastId);
        s_live[_id] = this;
    }

    /// <summary>
    /// Completes the rows written so far and returns a table expression that scans them, for use in
    /// a FROM clause. Rows written later are seen by queries started after the next call.
    /// </summary>
    public string ToTableExpression()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        CompleteChunk();
        return $"{FunctionName}({_id.ToString(CultureInfo.InvariantCulture)})";
    }

    internal static DuckDBRowBuffer Create(DuckDBConnection connection, string? schema, string template)
    {
        RegisterScan(connection);
        if (NativeMethods.duckdb_table_description_create(connection.Handle, schema, template, out var description) != DuckDBState.Success)
        {
            var message = description == 0 ? $"Could not describe '{template}'." : Utf8Text.FromNative(NativeMethods.duckdb_table_description_error(description));
            NativeMethods.duckdb_table_description_destroy(ref description);
            throw new DuckDBException(message, DuckDBErrorType.Catalog);
        }

        try
        {
            var count = (int)NativeMethods.duckdb_table_description_get_column_count(description);
            var names = new byte[count][];
            var types = new nint[count];
            for (var i = 0; i < count; i++)
            {
                names[i] = Encoding.UTF8.GetBytes(Utf8Text.FromNativeAndFree(NativeMethods.duckdb_table_description_get_column_name(description, (ulong)i)) + "\0");
                types[i] = NativeMethods.duckdb_table_description_get_column_type(description, (ulong)i);
            }

            return new DuckDBRowBuffer(template, names, types);
        }
        finally
        {
            NativeMethods.duckdb_table_description_destroy(ref description);
        }
    }

    /// <summary>Releases the rows; queries must no longer be reading them.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!s_live.TryRemove(_id, out _))
        {
            return;
        }

        for (var i = 0; i < _chunks.Count; i++)
        {
            var chunk = _chunks[i];
            NativeMethods.duckdb_destroy_data_chunk(ref chunk);
        }

        _chunks.Clear();
        base.Dispose(disposing);
        for (var i = 0; i < _logicalTypes.Length; i++)
        {
            NativeMethods.duckdb_destroy_logical_type(ref _logicalTypes[i]);
        }
    }

    // The chunk and the text it points at are kept as they are; the next rows go to a fresh chunk
    // and to arena blocks not yet used (the arena is never reset).
    private protected override nint HandOn(nint chunk)
    {
        _chunks.Add(chunk);
        fixed (nint* types = _logicalTypes)
        {
            return NativeMethods.duckdb_create_data_chunk(types, (ulong)_logicalTypes.Length);
        }
    }

    /// <summary>
    /// Registers the scan function on the connection's database, once per connection (registering
    /// again replaces it). Not after probing the catalog: a registration that follows a streamed
    /// query on the same connection reported success yet added nothing.
    /// </summary>
    private static void RegisterScan(DuckDBConnection connection)
    {
        if (connection.RowBufferScanRegistered)
        {
            return;
        }

        var function = NativeMethods.duckdb_create_table_function();
        var parameter = NativeMethods.duckdb_create_logical_type(DuckDBType.BigInt);
        try
        {
            NativeMethods.duckdb_table_function_set_name(function, FunctionName);
            NativeMethods.duckdb_table_function_add_parameter(function, parameter);
            NativeMethods.duckdb_table_function_set_bind(function, &Bind);
            NativeMethods.duckdb_table_function_set_init(function, &Init);
            NativeMethods.duckdb_table_function_set_function(function, &Scan);
            if (NativeMethods.duckdb_register_table_function(connection.Handle, function) != DuckDBState.Success)
            {
                throw new DuckDBException($"Could not register the {FunctionName} table function.", DuckDBErrorType.Catalog);
            }

            connection.RowBufferScanRegistered = true;
        }
        finally
        {
            NativeMethods.duckdb_destroy_logical_type(ref parameter);
            NativeMethods.duckdb_destroy_table_function(ref function);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Bind(nint info)
    {
        try
        {
            BindColumns(info);
        }
        catch (Exception e)
        {
            SetError(info, e.Message, &NativeMethods.duckdb_bind_set_error);
        }
    }

    private static void BindColumns(nint info)
    {
        var parameter = NativeMethods.duckdb_bind_get_parameter(info, 0);
        var id = NativeMethods.duckdb_get_int64(parameter);
        NativeMethods.duckdb_destroy_value(ref parameter);
        if (!s_live.TryGetValue(id, out var buffer))
        {
            SetError(info, $"No row buffer {id} is open.", &NativeMethods.duckdb_bind_set_error);
            return;
        }

        for (var i = 0; i < buffer._columnNames.Length; i++)
        {
            fixed (byte* name = buffer._columnNames[i])
            {
                NativeMethods.duckdb_bind_add_result_column(info, name, buffer._logicalTypes[i]);
            }
        }

        NativeMethods.duckdb_bind_set_bind_data(info, (nint)id, 0);
    }

    /// <summary>Each scan keeps its own position, so a query may read one buffer twice.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Init(nint info)
    {
        var position = (long*)NativeMemory.AllocZeroed(sizeof(long));
        NativeMethods.duckdb_init_set_init_data(info, position, &FreePosition);
        NativeMethods.duckdb_init_set_max_threads(info, 1);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreePosition(void* position) => NativeMemory.Free(position);

    /// <summary>Hands out the next kept chunk by reference: DuckDB reads the vectors where they are.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Scan(nint info, nint output)
    {
        try
        {
            ScanNext(info, output);
        }
        catch (Exception e)
        {
            SetError(info, e.Message, &NativeMethods.duckdb_function_set_error);
        }
    }

    private static void ScanNext(nint info, nint output)
    {
        var id = (long)NativeMethods.duckdb_function_get_bind_data(info);
        var position = (long*)NativeMethods.duckdb_function_get_init_data(info);
        if (!s_live.TryGetValue(id, out var buffer))
        {
            SetError(info, $"Row buffer {id} was released while a query read it.", &NativeMethods.duckdb_function_set_error);
            return;
        }

        if (*position >= buffer._chunks.Count)
        {
            NativeMethods.duckdb_data_chunk_set_size(output, 0);
            return;
        }

        var chunk = buffer._chunks[(int)(*position)++];
        for (var i = 0UL; i < (ulong)buffer._logicalTypes.Length; i++)
        {
            NativeMethods.duckdb_vector_reference_vector(NativeMethods.duckdb_data_chunk_get_vector(output, i), NativeMethods.duckdb_data_chunk_get_vector(chunk, i));
        }

        NativeMethods.duckdb_data_chunk_set_size(output, NativeMethods.duckdb_data_chunk_get_size(chunk));
    }

    private static void SetError(nint info, string message, delegate*<nint, byte*, void> set)
    {
        fixed (byte* text = Encoding.UTF8.GetBytes(message + "\0"))
        {
            set(info, text);
        }
    }
}
