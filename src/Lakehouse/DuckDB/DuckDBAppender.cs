using IceGate.Lakehouse.DuckDB.Internal;

namespace IceGate.Lakehouse.DuckDB;

/// <summary>
/// Bulk-loads rows into a table by filling DuckDB data chunks directly, then appending each full
/// chunk. Rows become visible in the table on <see cref="Flush"/> or <see cref="Close"/>; constraint
/// violations (such as NOT NULL) surface there too.
/// </summary>
public sealed unsafe class DuckDBAppender : DuckDBRowWriter
{
    private nint _appender;

    private DuckDBAppender(string table, nint appender, ReadOnlySpan<nint> logicalTypes)
        : base(table, logicalTypes) => _appender = appender;

    internal static DuckDBAppender Create(DuckDBConnection connection, string? schema, string table)
    {
        if (NativeMethods.duckdb_appender_create(connection.Handle, schema, table, out var appender) != DuckDBState.Success)
        {
            var error = appender == 0 ? new DuckDBException($"Could not create an appender for '{table}'.", DuckDBErrorType.Invalid) : TakeError(appender);
            NativeMethods.duckdb_appender_destroy(ref appender);
            throw error;
        }

        var logicalTypes = new nint[(int)NativeMethods.duckdb_appender_column_count(appender)];
        try
        {
            for (var i = 0; i < logicalTypes.Length; i++)
            {
                logicalTypes[i] = NativeMethods.duckdb_appender_column_type(appender, (ulong)i);
            }

            return new DuckDBAppender(table, appender, logicalTypes);
        }
        catch
        {
            NativeMethods.duckdb_appender_destroy(ref appender);
            throw;
        }
        finally
        {
            for (var i = 0; i < logicalTypes.Length; i++)
            {
                NativeMethods.duckdb_destroy_logical_type(ref logicalTypes[i]);
            }
        }
    }

    /// <summary>Writes every completed row into the table.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(IsReleased, this);
        CompleteChunk();
        if (NativeMethods.duckdb_appender_flush(_appender) != DuckDBState.Success)
        {
            throw TakeError(_appender);
        }
    }

    /// <summary>Flushes, then releases the appender. Throws if the final flush fails; the appender is released either way.</summary>
    public void Close() => Dispose();

    /// <summary>Same as <see cref="Close"/>: rows are never dropped silently.</summary>
    protected override void Dispose(bool disposing)
    {
        if (_appender == 0)
        {
            return;
        }

        try
        {
            Flush();
        }
        finally
        {
            NativeMethods.duckdb_appender_destroy(ref _appender);
            _appender = 0;
            base.Dispose(disposing);
        }
    }

    private protected override nint HandOn(nint chunk)
    {
        var state = NativeMethods.duckdb_append_data_chunk(_appender, chunk);
        NativeMethods.duckdb_data_chunk_reset(chunk);
        Strings.Reset();
        return state == DuckDBState.Success ? chunk : throw TakeError(_appender);
    }

    private static DuckDBException TakeError(nint appender)
    {
        var error = NativeMethods.duckdb_appender_error_data(appender);
        try
        {
            return new DuckDBException(
                Utf8Text.FromNative(NativeMethods.duckdb_error_data_message(error)),
                NativeMethods.duckdb_error_data_error_type(error));
        }
        finally
        {
            NativeMethods.duckdb_destroy_error_data(ref error);
        }
    }
}
