using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace IceGate.Lakehouse.Index;

/// <summary>
/// A data file's skipping index: one membership filter per indexed column (<c>trace_id</c>,
/// <c>span_id</c>) and per configured attribute key (<c>attribute:user.id</c>: its values in any of
/// the table's attribute maps).
/// Stored as its own object beside the data file (<see cref="IndexKeys"/>), so that Iceberg readers,
/// which see only what manifests list, are not disturbed.
/// </summary>
/// <remarks>
/// Layout: <c>IGIX</c>, a format version byte, a filter count, then per filter its name, its
/// number of distinct values and its bits (lengths as little-endian int32), and an XxHash3 of all
/// that, so that a truncated or corrupt object is noticed and the file read instead.
/// </remarks>
public sealed class FileIndex
{
    /// <summary>The layout version this code writes and reads; other versions are treated as no index.</summary>
    public const byte FormatVersion = 1;

    /// <summary>The filter of trace ids.</summary>
    public const string TraceId = "trace_id";

    /// <summary>The filter of span ids.</summary>
    public const string SpanId = "span_id";


    private static readonly byte[] s_magic = "IGIX"u8.ToArray();

    /// <summary>An index of the given filters, by name.</summary>
    public FileIndex(IReadOnlyDictionary<string, BloomFilter> filters) => Filters = filters;

    /// <summary>The filters, by name.</summary>
    public IReadOnlyDictionary<string, BloomFilter> Filters { get; }

    /// <summary>The name of an attribute key's filter.</summary>
    public static string AttributeFilter(string key) => $"attribute:{key}";

    /// <summary>
    /// False only if no row of the file can hold any of the values whose <see cref="BloomFilter.Hash"/>es
    /// are <paramref name="hashes"/> in <paramref name="filter"/>; true when the file has no such
    /// filter (it was not indexed). A query hashes its needles once for all its files.
    /// </summary>
    public bool MayContainAny(string filter, IReadOnlyCollection<ulong> hashes) =>
        !Filters.TryGetValue(filter, out var bloom) || hashes.Any(bloom.MightContain);

    /// <summary>The index as its object's bytes.</summary>
    public byte[] Serialize()
    {
        using var output = new MemoryStream();
        output.Write(s_magic);
        output.WriteByte(FormatVersion);
        WriteInt(output, Filters.Count);
        foreach (var (name, filter) in Filters)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            WriteInt(output, nameBytes.Length);
            output.Write(nameBytes);
            WriteInt(output, filter.ByteCount);
            filter.WriteTo(output);
        }

        Span<byte> checksum = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(checksum, XxHash3.HashToUInt64(output.GetBuffer().AsSpan(0, (int)output.Length)));
        output.Write(checksum);
        return output.ToArray();
    }

    /// <summary>The index in <paramref name="bytes"/>; throws <see cref="InvalidDataException"/> if it is not a whole index of this format.</summary>
    public static FileIndex Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 17 || !bytes[..4].SequenceEqual(s_magic))
        {
            throw new InvalidDataException("Not an IceGate index object.");
        }

        if (bytes[4] != FormatVersion)
        {
            throw new InvalidDataException($"Index format {bytes[4]} is not {FormatVersion}.");
        }

        var body = bytes[..^8];
        if (XxHash3.HashToUInt64(body) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[^8..]))
        {
            throw new InvalidDataException("The index's checksum does not match: it is truncated or corrupt.");
        }

        var position = 5;
        var count = ReadInt(body, ref position);
        var filters = new Dictionary<string, BloomFilter>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = Encoding.UTF8.GetString(Slice(body, ref position, ReadInt(body, ref position)));
            filters[name] = BloomFilter.Read(Slice(body, ref position, ReadInt(body, ref position)));
        }

        return new FileIndex(filters);
    }

    private static void WriteInt(Stream output, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        output.Write(bytes);
    }

    private static int ReadInt(ReadOnlySpan<byte> body, ref int position) => BinaryPrimitives.ReadInt32LittleEndian(Slice(body, ref position, 4));

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> body, ref int position, int length)
    {
        if (length < 0 || length > body.Length - position)
        {
            throw new InvalidDataException("The index ends early.");
        }

        var slice = body.Slice(position, length);
        position += length;
        return slice;
    }
}
