using System.Buffers.Binary;
using System.Text;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>
/// Iceberg's single-value binary serialization, used for column bounds and partition summaries:
/// little-endian ints, longs (also dates, timestamps in µs) and floats, UTF-8 strings without a
/// length, raw binary. In .NET, int and date values are <see cref="int"/>, long and timestamp
/// values <see cref="long"/>.
/// </summary>
public static class SingleValue
{
    /// <summary>Encodes a value of <paramref name="type"/>.</summary>
    public static byte[] Encode(IcebergType type, object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        switch (Name(type), value)
        {
            case ("boolean", bool b):
                return [b ? (byte)1 : (byte)0];
            case ("int" or "date", int i):
                var four = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(four, i);
                return four;
            case ("long" or "timestamp" or "timestamptz" or "time", long l):
                var eight = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(eight, l);
                return eight;
            case ("float", float f):
                var single = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(single, f);
                return single;
            case ("double", double d):
                var dbl = new byte[8];
                BinaryPrimitives.WriteDoubleLittleEndian(dbl, d);
                return dbl;
            case ("string", string s):
                return Encoding.UTF8.GetBytes(s);
            case ("binary", byte[] bytes):
                return bytes;
            default:
                throw new NotSupportedException($"Cannot encode a {value.GetType().Name} as Iceberg {type}.");
        }
    }

    /// <summary>Decodes a value of <paramref name="type"/>.</summary>
    public static object Decode(IcebergType type, ReadOnlySpan<byte> bytes) => Name(type) switch
    {
        "boolean" => bytes[0] != 0,
        "int" or "date" => BinaryPrimitives.ReadInt32LittleEndian(bytes),
        "long" or "timestamp" or "timestamptz" or "time" => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        "float" => BinaryPrimitives.ReadSingleLittleEndian(bytes),
        "double" => BinaryPrimitives.ReadDoubleLittleEndian(bytes),
        "string" => Encoding.UTF8.GetString(bytes),
        "binary" => bytes.ToArray(),
        _ => throw new NotSupportedException($"Cannot decode Iceberg {type}."),
    };

    /// <summary>Orders two values of one type as Iceberg does (strings by their UTF-8 bytes).</summary>
    public static int Compare(object left, object right) => (left, right) switch
    {
        (string a, string b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)),
        (byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b),
        (IComparable a, _) => a.CompareTo(right),
        _ => throw new ArgumentException($"Cannot compare {left.GetType().Name} values."),
    };

    private static string Name(IcebergType type) => type is PrimitiveType primitive ? primitive.Name : throw new NotSupportedException($"Only primitive values have a single-value encoding, not {type}.");
}
