using System.Buffers.Binary;
using System.Text;

namespace IceGate.Tests;

/// <summary>Builds OTLP protobuf requests by hand, including malformed ones no SDK would send.</summary>
internal sealed class Proto
{
    private readonly List<byte> _bytes = [];

    public static implicit operator byte[](Proto proto) => proto.ToArray();

    public Proto Message(int field, byte[] message) => Length(field, message);

    public Proto String(int field, string value) => Length(field, Encoding.UTF8.GetBytes(value));

    public Proto Bytes(int field, byte[] value) => Length(field, value);

    public Proto Varint(int field, ulong value)
    {
        Tag(field, 0);
        WriteVarint(value);
        return this;
    }

    public Proto Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        _bytes.AddRange(bytes);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    /// <summary>A logs request with one record per body, for service <paramref name="service"/>.</summary>
    public static byte[] Logs(string service, params string[] bodies)
    {
        var scopeLogs = new Proto().Message(1, new Proto().String(1, "tests"));
        foreach (var body in bodies)
        {
            scopeLogs.Message(2, new Proto()
                .Fixed64(1, (ulong)(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100)
                .Varint(2, 9)
                .Message(5, new Proto().String(1, body))
                .Message(6, KeyValue("body.length", new Proto().Varint(3, (ulong)body.Length))));
        }

        return new Proto().Message(1, new Proto()
            .Message(1, new Proto().Message(1, KeyValue("service.name", new Proto().String(1, service))))
            .Message(2, scopeLogs));
    }

    public static byte[] KeyValue(string key, byte[] anyValue) => new Proto().String(1, key).Message(2, anyValue);

    /// <summary>A gRPC message frame: flag, big-endian length, message.</summary>
    public static byte[] Frame(byte[] message, bool compressed = false)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame, 5);
        return frame;
    }

    private Proto Length(int field, byte[] value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _bytes.AddRange(value);
        return this;
    }

    private void Tag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        _bytes.Add((byte)value);
    }
}
