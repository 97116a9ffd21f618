using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace IceGate.Lakehouse.Avro;

/// <summary>
/// Writes Avro's binary encoding: zigzag varints for int and long, little-endian IEEE floats,
/// length-prefixed bytes and strings, blocks for arrays and maps. Callers write a record's fields
/// in schema order; a union is its branch index followed by the value.
/// </summary>
public sealed class AvroEncoder(IBufferWriter<byte> output)
{
    /// <summary>Writes an int.</summary>
    public void WriteInt(int value) => WriteLong(value);

    /// <summary>Writes a long as a zigzag varint.</summary>
    public void WriteLong(long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var span = output.GetSpan(10);
        var length = 0;
        while (zigzag >= 0x80)
        {
            span[length++] = (byte)(zigzag | 0x80);
            zigzag >>= 7;
        }

        span[length++] = (byte)zigzag;
        output.Advance(length);
    }

    /// <summary>Writes a boolean as one byte.</summary>
    public void WriteBoolean(bool value)
    {
        output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        output.Advance(1);
    }

    /// <summary>Writes a double, little-endian.</summary>
    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    /// <summary>Writes bytes with their length.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteLong(value.Length);
        output.Write(value);
    }

    /// <summary>Writes a string as UTF-8 with its length.</summary>
    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteLong(length);
        Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(length);
    }

    /// <summary>Writes a fixed-size value: the bytes alone.</summary>
    public void WriteFixed(ReadOnlySpan<byte> value) => output.Write(value);

    /// <summary>Writes the branch of a union.</summary>
    public void WriteUnionIndex(int branch) => WriteLong(branch);

    /// <summary>Writes the null branch of an optional (<c>["null", T]</c>) value.</summary>
    public void WriteNull() => WriteUnionIndex(0);

    /// <summary>Writes the count of the block of items that follows; 0 ends an array or map.</summary>
    public void WriteBlockCount(long count) => WriteLong(count);

    /// <summary>Writes an optional long.</summary>
    public void WriteOptionalLong(long? value)
    {
        if (value is { } v)
        {
            WriteUnionIndex(1);
            WriteLong(v);
        }
        else
        {
            WriteNull();
        }
    }

    /// <summary>Writes an optional int.</summary>
    public void WriteOptionalInt(int? value)
    {
        if (value is { } v)
        {
            WriteUnionIndex(1);
            WriteInt(v);
        }
        else
        {
            WriteNull();
        }
    }

    /// <summary>Writes optional bytes.</summary>
    public void WriteOptionalBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteNull();
        }
        else
        {
            WriteUnionIndex(1);
            WriteBytes(value);
        }
    }

    /// <summary>Writes an array of items, as one block.</summary>
    public void WriteArray<T>(IReadOnlyCollection<T> items, Action<AvroEncoder, T> writeItem)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(writeItem);
        if (items.Count > 0)
        {
            WriteBlockCount(items.Count);
            foreach (var item in items)
            {
                writeItem(this, item);
            }
        }

        WriteBlockCount(0);
    }
}
