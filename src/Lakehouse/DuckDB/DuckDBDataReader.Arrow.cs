using IceGate.Lakehouse.DuckDB.Internal;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// The result as Arrow through the C data interface, converted by DuckDB itself (maps, lists,
/// structs, timestamps and decimals as DuckDB's own Arrow export types them), a chunk at a time
/// so that memory stays bounded however many rows there are. Use either this or <see cref="Read"/>
/// past the first row, not both.
/// </summary>
public sealed unsafe partial class DuckDBDataReader
{
    private nint _arrowOptions;
    private bool _chunkExported;

    private nint ArrowOptions => _arrowOptions != 0 ? _arrowOptions : _arrowOptions = NativeMethods.duckdb_result_get_arrow_options(_result);

    /// <summary>Fills <paramref name="arrowSchema"/>, an <c>ArrowSchema</c> the caller allocated and releases, with the result's columns.</summary>
    public void ExportArrowSchema(nint arrowSchema)
    {
        ThrowIfClosed();
        if (!_hasResult)
        {
            throw new InvalidOperationException("The reader has no result to export.");
        }

        var count = _columns.Length;
        var types = new nint[count];
        var names = new nint[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                types[i] = NativeMethods.duckdb_column_logical_type(_result, (ulong)i);
                names[i] = (nint)NativeMethods.duckdb_column_name(_result, (ulong)i);
            }

            fixed (nint* typePointers = types)
            fixed (nint* namePointers = names)
            {
                NativeErrors.ThrowIfError(NativeMethods.duckdb_to_arrow_schema(ArrowOptions, typePointers, (byte**)namePointers, (ulong)count, arrowSchema));
            }
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                if (types[i] != 0)
                {
                    NativeMethods.duckdb_destroy_logical_type(ref types[i]);
                }
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="arrowArray"/> (an <c>ArrowArray</c> the caller allocated; its release
    /// callback frees the data) with the next chunk of rows: first the chunk holding the current
    /// row if no row past its first was read, then each following one. False at the end.
    /// </summary>
    public bool ExportArrowChunk(nint arrowArray)
    {
        ThrowIfClosed();
        if (!_hasResult || (_chunk == 0 || _row != 0 || _chunkExported) && !FetchChunk())
        {
            return false;
        }

        _chunkExported = true;
        NativeErrors.ThrowIfError(NativeMethods.duckdb_data_chunk_to_arrow(ArrowOptions, _chunk, arrowArray));
        return true;
    }
}
