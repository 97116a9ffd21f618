using System.Runtime.InteropServices;

namespace IceGate.Lakehouse.DuckDB.Internal;

/// <summary>
/// <c>duckdb_string_t</c>: a 4-byte length, then either up to 12 bytes inline or a 4-byte prefix and
/// a pointer at offset 8. A pointer is valid only as long as the chunk that holds the string.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal unsafe struct DuckDBString
{
    public const int InlineLength = 12;

    public uint Length;

    public static ReadOnlySpan<byte> Bytes(DuckDBString* value)
    {
        var length = (int)value->Length;
        var bytes = (byte*)value;
        return length <= InlineLength
            ? new ReadOnlySpan<byte>(bytes + 4, length)
            : new ReadOnlySpan<byte>(*(byte**)(bytes + 8), length);
    }

    /// <summary>
    /// Writes a string whose bytes longer than 12 stay at <paramref name="storage"/>, which must
    /// outlive every use of the vector (the appender copies a chunk when it is appended).
    /// </summary>
    public static void Write(DuckDBString* target, ReadOnlySpan<byte> value, byte* storage)
    {
        var bytes = (byte*)target;
        *(uint*)bytes = (uint)value.Length;
        if (value.Length <= InlineLength)
        {
            var inline = new Span<byte>(bytes + 4, InlineLength);
            value.CopyTo(inline);
            inline[value.Length..].Clear();
        }
        else
        {
            value[..4].CopyTo(new Span<byte>(bytes + 4, 4));
            *(byte**)(bytes + 8) = storage;
        }
    }
}

/// <summary><c>duckdb_list_entry</c>: where a row's elements sit in the child vector.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct DuckDBListEntry(ulong offset, ulong length)
{
    public readonly ulong Offset = offset;
    public readonly ulong Length = length;
}
