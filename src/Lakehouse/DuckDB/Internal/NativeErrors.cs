using System.Diagnostics.CodeAnalysis;

namespace IceGate.Lakehouse.DuckDB.Internal;

internal static unsafe class NativeErrors
{
    /// <summary>
    /// Classifies a message from the C API paths that report no error type (open, extract, prepare):
    /// DuckDB prefixes its messages with the type, as in "Parser Error: syntax error at …".
    /// </summary>
    public static DuckDBErrorType ClassifyMessage(string message)
    {
        var end = message.IndexOf(" Error:", StringComparison.Ordinal);
        return end > 0 && Enum.TryParse<DuckDBErrorType>(message[..end].Replace(" ", "", StringComparison.Ordinal), ignoreCase: true, out var type)
            ? type
            : DuckDBErrorType.Invalid;
    }

    [DoesNotReturn]
    public static void ThrowFromMessage(byte* message, string fallback)
    {
        var text = message is null ? fallback : Utf8Text.FromNative(message);
        throw new DuckDBException(text, ClassifyMessage(text));
    }

    [DoesNotReturn]
    public static void ThrowFromResult(DuckDBResult* result)
    {
        var text = Utf8Text.FromNative(NativeMethods.duckdb_result_error(result));
        throw new DuckDBException(text, NativeMethods.duckdb_result_error_type(result));
    }

    /// <summary>Takes ownership of a <c>duckdb_error_data</c> (null means success): destroys it, throwing what it held if it is an error.</summary>
    public static void ThrowIfError(nint errorData)
    {
        if (errorData == 0)
        {
            return;
        }

        try
        {
            if (NativeMethods.duckdb_error_data_has_error(errorData))
            {
                throw new DuckDBException(Utf8Text.FromNative(NativeMethods.duckdb_error_data_message(errorData)), NativeMethods.duckdb_error_data_error_type(errorData));
            }
        }
        finally
        {
            NativeMethods.duckdb_destroy_error_data(ref errorData);
        }
    }
}
