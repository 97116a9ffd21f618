using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace IceGate.Lakehouse.Index;

/// <summary>
/// A Bloom filter over strings: each value's 64-bit XxHash3 gives <see cref="HashCount"/> bit
/// positions by double hashing (Kirsch and Mitzenmacher). With 10 bits per distinct value and 7
/// positions, about 0.8% of absent values are reported present; present ones always are.
/// </summary>
public sealed class BloomFilter
{
    /// <summary>Bits per distinct value: 10 bits and 7 positions are within 10% of the optimum false-positive rate for their size.</summary>
    public const int BitsPerValue = 10;

    /// <summary>Bit positions per value.</summary>
    public const int HashCount = 7;

    private const int MinWords = 8;

    private readonly ulong[] _bits;

    private BloomFilter(ulong[] bits) => _bits = bits;

    /// <summary>The filter's size in bytes.</summary>
    public int ByteCount => _bits.Length * 8;

    /// <summary>A filter holding <paramref name="hashes"/> (see <see cref="Hash"/>), sized for their number.</summary>
    public static BloomFilter Build(IReadOnlyCollection<ulong> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        // At least 512 bits: a filter of a few values costs 64 bytes and almost never errs.
        var words = Math.Max(MinWords, (int)Math.Min(int.MaxValue / 8, ((long)hashes.Count * BitsPerValue + 63) / 64));
        var filter = new BloomFilter(new ulong[words]);
        foreach (var hash in hashes)
        {
            filter.Add(hash);
        }

        return filter;
    }

    /// <summary>The hash a value is filed under.</summary>
    public static ulong Hash(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        Span<byte> buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(value, buffer);
        return XxHash3.HashToUInt64(buffer);
    }

    /// <summary>False only if <paramref name="hash"/> was certainly not added.</summary>
    public bool MightContain(ulong hash)
    {
        for (uint i = 0; i < HashCount; i++)
        {
            var bit = Bit(hash, i);
            if ((_bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The bits, little-endian words.</summary>
    public void WriteTo(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Span<byte> word = stackalloc byte[8];
        foreach (var bits in _bits)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, bits);
            output.Write(word);
        }
    }

    /// <summary>A filter from the bits <see cref="WriteTo"/> wrote.</summary>
    public static BloomFilter Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes.Length % 8 != 0)
        {
            throw new InvalidDataException($"A filter of {bytes.Length} bytes is not whole 64-bit words.");
        }

        var bits = new ulong[bytes.Length / 8];
        for (var i = 0; i < bits.Length; i++)
        {
            bits[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        }

        return new BloomFilter(bits);
    }

    private void Add(ulong hash)
    {
        for (uint i = 0; i < HashCount; i++)
        {
            var bit = Bit(hash, i);
            _bits[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    /// <summary>
    /// The i-th position of a hash: its low half plus i times its high half, made odd so that the
    /// positions of one value never repeat in a filter whose size is a power of two.
    /// </summary>
    private ulong Bit(ulong hash, uint i) => ((hash & uint.MaxValue) + (i * ((hash >> 32) | 1))) % ((ulong)_bits.Length * 64);
}
