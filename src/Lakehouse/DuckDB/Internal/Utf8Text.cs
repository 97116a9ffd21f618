using System.Runtime.InteropServices;
using System.Text;

namespace IceGate.Lakehouse.DuckDB.Internal;

internal static unsafe class Utf8Text
{
    /// <summary>Decodes a NUL-terminated string that DuckDB owns; the caller decides whether to free it.</summary>
    public static string FromNative(byte* text) =>
        text is null ? string.Empty : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text));

    /// <summary>Decodes and frees a string DuckDB allocated for the caller.</summary>
    public static string FromNativeAndFree(byte* text)
    {
        try
        {
            return FromNative(text);
        }
        finally
        {
            NativeMethods.duckdb_free(text);
        }
    }
}
