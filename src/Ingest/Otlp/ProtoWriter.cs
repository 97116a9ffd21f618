using System.Buffers;

namespace IceGate.Ingest.Otlp;

/// <summary>Writes the few protobuf messages IceGate sends (statuses, export responses).</summary>
internal sealed class ProtoWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public ProtoWriter Varint(int field, ulong value)
    {
        Tag(field, WireType.Varint);
        WriteVarint(value);
        return this;
    }

    public ProtoWriter Fixed64(int field, ulong value)
    {
        Tag(field, WireType.Fixed64);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public ProtoWriter Fixed32(int field, uint value)
    {
        Tag(field, WireType.Fixed32);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private void Tag(int field, WireType wireType) => WriteVarint(((ulong)field << 3) | (ulong)wireType);

    private void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[length++] = (byte)value;
        _buffer.Advance(length);
    }
}
