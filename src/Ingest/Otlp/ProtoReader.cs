using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace IceGate.Ingest.Otlp;

/// <summary>Protobuf wire types.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Reads protobuf's wire format from a span without allocating: tags, varints, fixed-width
/// numbers and length-delimited payloads (which are slices of the input). Malformed input throws
/// <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out WireType wireType)
    {
        if (_position >= _data.Length)
        {
            field = 0;
            wireType = default;
            return false;
        }

        var tag = ReadVarint();
        field = (int)(tag >> 3);
        wireType = (WireType)(tag & 7);
        if (field <= 0 || tag > uint.MaxValue)
        {
            Throw($"invalid field number in tag {tag}");
        }

        return true;
    }

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Reads a varint of a packed run; false at its end.</summary>
    public bool TryReadVarint(out ulong value)
    {
        if (_position >= _data.Length)
        {
            value = 0;
            return false;
        }

        value = ReadVarint();
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _data.Length)
            {
                Throw("truncated varint");
            }

            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        Throw("varint longer than 10 bytes");
        return 0;
    }

    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            Throw("length-delimited field runs past the end of its message");
        }

        return Take((int)length);
    }

    /// <summary>Skips a field of any wire type (unknown fields are ignored, as protobuf requires).</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.LengthDelimited: ReadLengthDelimited(); break;
            case WireType.Fixed32: Take(4); break;
            default: Throw($"unsupported wire type {(int)wireType}"); break;
        }
    }

    /// <summary>Checks a field's wire type; a mismatch is malformed input.</summary>
    public readonly void Expect(WireType actual, WireType expected, int field)
    {
        if (actual != expected)
        {
            Throw($"field {field} has wire type {(int)actual}, expected {(int)expected}");
        }
    }

    [DoesNotReturn]
    public readonly void Throw(string problem) => throw new InvalidDataException($"Malformed protobuf at byte {_position}: {problem}.");

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            Throw("message truncated");
        }

        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}
