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

    /// <summary>A traces request with one server span of <paramref name="service"/> (an attribute and an event with its own attribute).</summary>
    public static byte[] Traces(string service, string name, ulong endNanos, byte spanIdSeed = 1)
    {
        var span = new Proto()
            .Bytes(1, [.. Enumerable.Range(1, 16).Select(i => (byte)(i + spanIdSeed))])
            .Bytes(2, [.. Enumerable.Range(1, 8).Select(i => (byte)(i + spanIdSeed))])
            .String(5, name)
            .Varint(6, 2)
            .Fixed64(7, endNanos - 1_000_000)
            .Fixed64(8, endNanos)
            .Message(9, KeyValue("http.status_code", new Proto().Varint(3, 200)))
            .Message(11, new Proto().Fixed64(1, endNanos - 500_000).String(2, "an event").Message(3, KeyValue("attempt", new Proto().Varint(3, 2))));
        return new Proto().Message(1, new Proto()
            .Message(1, new Proto().Message(1, KeyValue("service.name", new Proto().String(1, service))))
            .Message(2, new Proto().Message(1, new Proto().String(1, "tests")).Message(2, span)));
    }

    /// <summary>A metrics request of <paramref name="service"/>: a gauge, a monotonic sum and an explicit-bucket histogram, one point each.</summary>
    public static byte[] Metrics(string service, ulong timeNanos)
    {
        var attributes = KeyValue("host", new Proto().String(1, "a"));
        var point = new Proto().Fixed64(3, timeNanos).Fixed64(4, BitConverter.DoubleToUInt64Bits(42.5)).Message(7, attributes);
        var gauge = new Proto().String(1, "fuzz.gauge").String(3, "ms").Message(5, new Proto().Message(1, point));
        var sum = new Proto().String(1, "fuzz.requests").Message(7, new Proto().Message(1, point).Varint(2, 2).Varint(3, 1));
        var bucket = new Proto().Fixed64(3, timeNanos).Fixed64(4, 6).Fixed64(5, BitConverter.DoubleToUInt64Bits(12.5))
            .Bytes(6, [.. new ulong[] { 1, 2, 3 }.SelectMany(BitConverter.GetBytes)])
            .Bytes(7, [.. new[] { 1.0, 5.0 }.SelectMany(b => BitConverter.GetBytes(BitConverter.DoubleToUInt64Bits(b)))])
            .Message(9, attributes);
        var histogram = new Proto().String(1, "fuzz.latency").String(3, "ms").Message(9, new Proto().Message(1, bucket).Varint(2, 2));
        return new Proto().Message(1, new Proto()
            .Message(1, new Proto().Message(1, KeyValue("service.name", new Proto().String(1, service))))
            .Message(2, new Proto().Message(1, new Proto().String(1, "tests")).Message(2, gauge).Message(2, sum).Message(2, histogram)));
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
