using System.Buffers.Binary;
using System.Text;

namespace IceGate.Lakehouse.Avro;

/// <summary>Reads Avro's binary encoding (the counterpart of <see cref="AvroEncoder"/>) from memory.</summary>
public sealed class AvroDecoder(ReadOnlyMemory<byte> input)
{
    private int _position;

    /// <summary>True once every byte has been read.</summary>
    public bool AtEnd => _position >= input.Length;

    /// <summary>Reads an int.</summary>
    public int ReadInt() => checked((int)ReadLong());

    /// <summary>Reads a zigzag varint long.</summary>
    public long ReadLong()
    {
        var span = input.Span;
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length)
            {
                throw Truncated();
            }

            var b = span[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }

        throw new InvalidDataException("An Avro varint is longer than 10 bytes.");
    }

    /// <summary>Reads a boolean.</summary>
    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>Reads a double.</summary>
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>Reads length-prefixed bytes.</summary>
    public byte[] ReadBytes() => Take(ReadLength()).ToArray();

    /// <summary>Reads a length-prefixed UTF-8 string.</summary>
    public string ReadString() => Encoding.UTF8.GetString(Take(ReadLength()));

    /// <summary>Reads <paramref name="size"/> fixed bytes.</summary>
    public byte[] ReadFixed(int size) => Take(size).ToArray();

    /// <summary>Reads a union's branch index.</summary>
    public int ReadUnionIndex() => ReadInt();

    /// <summary>Reads an optional (<c>["null", T]</c>) value.</summary>
    public T? ReadOptional<T>(Func<AvroDecoder, T> read)
        where T : struct => ReadUnionIndex() == 0 ? null : read(this);

    /// <summary>Reads an optional reference value.</summary>
    public T? ReadOptionalReference<T>(Func<AvroDecoder, T> read)
        where T : class => ReadUnionIndex() == 0 ? null : read(this);

    /// <summary>Reads the blocks of an array or map, calling <paramref name="readItem"/> per item.</summary>
    public void ReadBlocks(Action<AvroDecoder> readItem)
    {
        ArgumentNullException.ThrowIfNull(readItem);
        while (true)
        {
            var count = ReadLong();
            if (count == 0)
            {
                return;
            }

            if (count < 0)
            {
                // A negative count is followed by the block's size in bytes, which lets readers skip it.
                count = -count;
                ReadLong();
            }

            for (var i = 0; i < count; i++)
            {
                readItem(this);
            }
        }
    }

    /// <summary>Reads an array.</summary>
    public List<T> ReadArray<T>(Func<AvroDecoder, T> readItem)
    {
        var items = new List<T>();
        ReadBlocks(d => items.Add(readItem(d)));
        return items;
    }

    private int ReadLength()
    {
        var length = ReadLong();
        return length >= 0 && length <= input.Length - _position ? (int)length : throw Truncated();
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > input.Length - _position)
        {
            throw Truncated();
        }

        var span = input.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    private static InvalidDataException Truncated() => new("The Avro data ends before the value does.");
}
