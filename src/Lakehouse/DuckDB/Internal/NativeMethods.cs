using System.Runtime.InteropServices;

namespace IceGate.Lakehouse.DuckDB.Internal;

/// <summary>
/// The DuckDB C API (duckdb.h, v1.5), with the C names kept. Every string DuckDB returns is taken
/// as <c>byte*</c>: letting the marshaller turn a <c>const char*</c> into a <c>string</c> would free
/// DuckDB's own pointer and abort the process.
/// </summary>
/// <remarks>
/// Pure accessors carry <c>SuppressGCTransition</c>: they neither block nor call back, and the
/// reader calls them per value.
/// Handles are opaque pointers (<see cref="nint"/>). <c>duckdb_result</c> is a 48-byte struct that some
/// functions take by pointer and others by value; the reader keeps it in native memory.
/// </remarks>
internal static unsafe partial class NativeMethods
{
    internal const string Library = "duckdb";

    // An explicit static constructor runs before the first call into any import below.
    static NativeMethods() => NativeLibraryResolver.Register(typeof(NativeMethods).Assembly);

    [LibraryImport(Library)] internal static partial byte* duckdb_library_version();
    [LibraryImport(Library)] internal static partial ulong duckdb_vector_size();
    [LibraryImport(Library)] internal static partial void duckdb_free(void* ptr);

    // Databases and connections.
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_create_config(out nint config);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial DuckDBState duckdb_set_config(nint config, string name, string option);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_config(ref nint config);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial DuckDBState duckdb_open_ext(string path, out nint database, nint config, out byte* error);
    [LibraryImport(Library)] internal static partial nint duckdb_create_instance_cache();
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial DuckDBState duckdb_get_or_create_from_cache(nint cache, string path, out nint database, nint config, out byte* error);
    [LibraryImport(Library)] internal static partial void duckdb_close(ref nint database);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_connect(nint database, out nint connection);
    [LibraryImport(Library)] internal static partial void duckdb_interrupt(nint connection);
    [LibraryImport(Library)] internal static partial void duckdb_disconnect(ref nint connection);

    // Statements.
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial ulong duckdb_extract_statements(nint connection, string query, out nint extracted);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_prepare_extracted_statement(nint connection, nint extracted, ulong index, out nint prepared);
    [LibraryImport(Library)] internal static partial byte* duckdb_extract_statements_error(nint extracted);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_extracted(ref nint extracted);
    [LibraryImport(Library)] internal static partial byte* duckdb_prepare_error(nint prepared);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_prepare(ref nint prepared);
    [LibraryImport(Library)] internal static partial ulong duckdb_nparams(nint prepared);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial DuckDBState duckdb_bind_parameter_index(nint prepared, out ulong index, string name);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_clear_bindings(nint prepared);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_null(nint prepared, ulong index);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_boolean(nint prepared, ulong index, [MarshalAs(UnmanagedType.U1)] bool value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_int8(nint prepared, ulong index, sbyte value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_int16(nint prepared, ulong index, short value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_int32(nint prepared, ulong index, int value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_int64(nint prepared, ulong index, long value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_hugeint(nint prepared, ulong index, DuckDBHugeInt value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_uint8(nint prepared, ulong index, byte value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_uint16(nint prepared, ulong index, ushort value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_uint32(nint prepared, ulong index, uint value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_uint64(nint prepared, ulong index, ulong value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_float(nint prepared, ulong index, float value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_double(nint prepared, ulong index, double value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_decimal(nint prepared, ulong index, DuckDBDecimal value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_date(nint prepared, ulong index, int daysSinceEpoch);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_time(nint prepared, ulong index, long microsSinceMidnight);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_timestamp(nint prepared, ulong index, long microsSinceEpoch);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_timestamp_tz(nint prepared, ulong index, long microsSinceEpoch);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_interval(nint prepared, ulong index, DuckDBInterval value);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_varchar_length(nint prepared, ulong index, byte* value, ulong length);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_blob(nint prepared, ulong index, void* data, ulong length);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_bind_value(nint prepared, ulong index, nint value);
    [LibraryImport(Library)] internal static partial nint duckdb_create_uuid(DuckDBHugeInt value);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_value(ref nint value);

    // Results, streamed chunk by chunk.
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_execute_prepared_streaming(nint prepared, DuckDBResult* result);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_result(DuckDBResult* result);
    [LibraryImport(Library)] internal static partial byte* duckdb_result_error(DuckDBResult* result);
    [LibraryImport(Library)] internal static partial DuckDBErrorType duckdb_result_error_type(DuckDBResult* result);
    [LibraryImport(Library)] internal static partial nint duckdb_fetch_chunk(DuckDBResult result);
    [LibraryImport(Library)] internal static partial DuckDBResultType duckdb_result_return_type(DuckDBResult result);
    [LibraryImport(Library)] internal static partial ulong duckdb_column_count(DuckDBResult* result);
    [LibraryImport(Library)] internal static partial byte* duckdb_column_name(DuckDBResult* result, ulong column);
    [LibraryImport(Library)] internal static partial nint duckdb_column_logical_type(DuckDBResult* result, ulong column);
    [LibraryImport(Library)] internal static partial ulong duckdb_rows_changed(DuckDBResult* result);

    // Data chunks and vectors.
    [LibraryImport(Library)] internal static partial nint duckdb_create_data_chunk(nint* types, ulong columnCount);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_data_chunk(ref nint chunk);
    [LibraryImport(Library)] internal static partial void duckdb_data_chunk_reset(nint chunk);
    [LibraryImport(Library), SuppressGCTransition] internal static partial ulong duckdb_data_chunk_get_size(nint chunk);
    [LibraryImport(Library)] internal static partial void duckdb_data_chunk_set_size(nint chunk, ulong size);
    [LibraryImport(Library), SuppressGCTransition] internal static partial nint duckdb_data_chunk_get_vector(nint chunk, ulong column);
    [LibraryImport(Library), SuppressGCTransition] internal static partial void* duckdb_vector_get_data(nint vector);
    [LibraryImport(Library), SuppressGCTransition] internal static partial ulong* duckdb_vector_get_validity(nint vector);
    [LibraryImport(Library)] internal static partial void duckdb_vector_ensure_validity_writable(nint vector);
    [LibraryImport(Library), SuppressGCTransition] internal static partial nint duckdb_list_vector_get_child(nint vector);
    [LibraryImport(Library), SuppressGCTransition] internal static partial ulong duckdb_list_vector_get_size(nint vector);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_list_vector_set_size(nint vector, ulong size);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_list_vector_reserve(nint vector, ulong capacity);
    [LibraryImport(Library), SuppressGCTransition] internal static partial nint duckdb_struct_vector_get_child(nint vector, ulong index);
    [LibraryImport(Library), SuppressGCTransition] internal static partial nint duckdb_array_vector_get_child(nint vector);

    // Logical types.
    [LibraryImport(Library)] internal static partial DuckDBType duckdb_get_type_id(nint type);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_logical_type(ref nint type);
    [LibraryImport(Library)] internal static partial byte duckdb_decimal_scale(nint type);
    [LibraryImport(Library)] internal static partial DuckDBType duckdb_decimal_internal_type(nint type);
    [LibraryImport(Library)] internal static partial DuckDBType duckdb_enum_internal_type(nint type);
    [LibraryImport(Library)] internal static partial uint duckdb_enum_dictionary_size(nint type);
    [LibraryImport(Library)] internal static partial byte* duckdb_enum_dictionary_value(nint type, ulong index);
    [LibraryImport(Library)] internal static partial nint duckdb_list_type_child_type(nint type);
    [LibraryImport(Library)] internal static partial nint duckdb_map_type_key_type(nint type);
    [LibraryImport(Library)] internal static partial nint duckdb_map_type_value_type(nint type);
    [LibraryImport(Library)] internal static partial nint duckdb_array_type_child_type(nint type);
    [LibraryImport(Library)] internal static partial ulong duckdb_array_type_array_size(nint type);
    [LibraryImport(Library)] internal static partial ulong duckdb_struct_type_child_count(nint type);
    [LibraryImport(Library)] internal static partial byte* duckdb_struct_type_child_name(nint type, ulong index);
    [LibraryImport(Library)] internal static partial nint duckdb_struct_type_child_type(nint type, ulong index);

    // Appender.
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial DuckDBState duckdb_appender_create(nint connection, string? schema, string table, out nint appender);
    [LibraryImport(Library)] internal static partial ulong duckdb_appender_column_count(nint appender);
    [LibraryImport(Library)] internal static partial nint duckdb_appender_column_type(nint appender, ulong column);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_append_data_chunk(nint appender, nint chunk);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_appender_flush(nint appender);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_appender_destroy(ref nint appender);
    [LibraryImport(Library)] internal static partial nint duckdb_appender_error_data(nint appender);
    [LibraryImport(Library)] internal static partial byte* duckdb_error_data_message(nint errorData);
    [LibraryImport(Library)] internal static partial DuckDBErrorType duckdb_error_data_error_type(nint errorData);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_error_data(ref nint errorData);
    [LibraryImport(Library)][return: MarshalAs(UnmanagedType.U1)] internal static partial bool duckdb_error_data_has_error(nint errorData);

    // Arrow (the C data interface): DuckDB's own conversion of a result's schema and chunks.
    [LibraryImport(Library)] internal static partial nint duckdb_result_get_arrow_options(DuckDBResult* result);
    [LibraryImport(Library)] internal static partial void duckdb_destroy_arrow_options(ref nint options);
    [LibraryImport(Library)] internal static partial nint duckdb_to_arrow_schema(nint options, nint* types, byte** names, ulong columnCount, nint outSchema);
    [LibraryImport(Library)] internal static partial nint duckdb_data_chunk_to_arrow(nint options, nint chunk, nint outArray);

    // Table descriptions.
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial DuckDBState duckdb_table_description_create(nint connection, string? schema, string table, out nint description);
    [LibraryImport(Library)] internal static partial byte* duckdb_table_description_error(nint description);
    [LibraryImport(Library)] internal static partial ulong duckdb_table_description_get_column_count(nint description);
    [LibraryImport(Library)] internal static partial byte* duckdb_table_description_get_column_name(nint description, ulong column);
    [LibraryImport(Library)] internal static partial nint duckdb_table_description_get_column_type(nint description, ulong column);
    [LibraryImport(Library)] internal static partial void duckdb_table_description_destroy(ref nint description);

    // Table functions; their callbacks are unmanaged function pointers that run on DuckDB's threads.
    [LibraryImport(Library)] internal static partial nint duckdb_create_logical_type(DuckDBType type);
    [LibraryImport(Library)] internal static partial nint duckdb_create_table_function();
    [LibraryImport(Library)] internal static partial void duckdb_destroy_table_function(ref nint function);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] internal static partial void duckdb_table_function_set_name(nint function, string name);
    [LibraryImport(Library)] internal static partial void duckdb_table_function_add_parameter(nint function, nint type);
    [LibraryImport(Library)] internal static partial void duckdb_table_function_set_bind(nint function, delegate* unmanaged[Cdecl]<nint, void> bind);
    [LibraryImport(Library)] internal static partial void duckdb_table_function_set_init(nint function, delegate* unmanaged[Cdecl]<nint, void> init);
    [LibraryImport(Library)] internal static partial void duckdb_table_function_set_function(nint function, delegate* unmanaged[Cdecl]<nint, nint, void> function2);
    [LibraryImport(Library)] internal static partial DuckDBState duckdb_register_table_function(nint connection, nint function);
    [LibraryImport(Library)] internal static partial nint duckdb_bind_get_parameter(nint info, ulong index);
    [LibraryImport(Library)] internal static partial long duckdb_get_int64(nint value);
    [LibraryImport(Library)] internal static partial void duckdb_bind_add_result_column(nint info, byte* name, nint type);
    [LibraryImport(Library)] internal static partial void duckdb_bind_set_bind_data(nint info, nint data, nint destroy);
    [LibraryImport(Library)] internal static partial void duckdb_bind_set_error(nint info, byte* error);
    [LibraryImport(Library)] internal static partial void duckdb_init_set_init_data(nint info, void* data, delegate* unmanaged[Cdecl]<void*, void> destroy);
    [LibraryImport(Library)] internal static partial void duckdb_init_set_max_threads(nint info, ulong threads);
    [LibraryImport(Library)] internal static partial nint duckdb_function_get_bind_data(nint info);
    [LibraryImport(Library)] internal static partial void* duckdb_function_get_init_data(nint info);
    [LibraryImport(Library)] internal static partial void duckdb_function_set_error(nint info, byte* error);
    [LibraryImport(Library)] internal static partial void duckdb_vector_reference_vector(nint to, nint from);
}

internal enum DuckDBState
{
    Success = 0,
    Error = 1,
}

internal enum DuckDBResultType
{
    Invalid = 0,
    ChangedRows = 1,
    Nothing = 2,
    QueryResult = 3,
}

/// <summary><c>duckdb_result</c>: 48 bytes, opaque apart from its size.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct DuckDBResult
{
    private readonly ulong _deprecatedColumnCount;
    private readonly ulong _deprecatedRowCount;
    private readonly ulong _deprecatedRowsChanged;
    private readonly nint _deprecatedColumns;
    private readonly nint _deprecatedErrorMessage;
    private readonly nint _internalData;
}

[StructLayout(LayoutKind.Sequential)]
internal struct DuckDBDecimal
{
    public byte Width;
    public byte Scale;
    public DuckDBHugeInt Value;
}

/// <summary>
/// <c>duckdb_hugeint</c> / <c>duckdb_uhugeint</c>: two 8-byte halves, 8-byte aligned. Not
/// <see cref="Int128"/>, whose 16-byte alignment would misplace it inside other structs.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct DuckDBHugeInt(ulong lower, long upper)
{
    public readonly ulong Lower = lower;
    public readonly long Upper = upper;

    public static DuckDBHugeInt From(Int128 value) => new((ulong)value, (long)(value >> 64));

    public Int128 ToInt128() => new((ulong)Upper, Lower);
}

[StructLayout(LayoutKind.Sequential)]
internal struct DuckDBInterval
{
    public int Months;
    public int Days;
    public long Micros;
}
