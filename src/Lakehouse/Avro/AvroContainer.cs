using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace IceGate.Lakehouse.Avro;

/// <summary>
/// Avro object container files: the magic <c>Obj\x01</c>, a metadata map (with <c>avro.schema</c>
/// and <c>avro.codec</c>), a 16-byte sync marker, then blocks of records, each a count, a byte
/// size, the (optionally deflated) records and the sync marker. Codecs: <c>null</c> and
/// <c>deflate</c> (raw RFC 1951, no zlib header).
/// </summary>
public static class AvroContainer
{
    private const int SyncSize = 16;
    private static readonly byte[] s_magic = [(byte)'O', (byte)'b', (byte)'j', 1];

    /// <summary>Builds a container file holding <paramref name="records"/>, each written by <paramref name="writeRecord"/>, in one block.</summary>
    public static byte[] Write<T>(string schemaJson, IReadOnlyDictionary<string, string> metadata, IReadOnlyCollection<T> records, Action<AvroEncoder, T> writeRecord, bool deflate = true)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(writeRecord);
        var file = new ArrayBufferWriter<byte>();
        var encoder = new AvroEncoder(file);
        file.Write(s_magic);

        var header = new Dictionary<string, string>(metadata) { ["avro.schema"] = schemaJson, ["avro.codec"] = deflate ? "deflate" : "null" };
        encoder.WriteBlockCount(header.Count);
        foreach (var (key, value) in header)
        {
            encoder.WriteString(key);
            encoder.WriteBytes(Encoding.UTF8.GetBytes(value));
        }

        encoder.WriteBlockCount(0);
        var sync = RandomNumberGenerator.GetBytes(SyncSize);
        file.Write(sync);

        if (records.Count > 0)
        {
            var block = new ArrayBufferWriter<byte>();
            var blockEncoder = new AvroEncoder(block);
            foreach (var record in records)
            {
                writeRecord(blockEncoder, record);
            }

            var data = deflate ? Deflate(block.WrittenSpan) : block.WrittenSpan.ToArray();
            encoder.WriteLong(records.Count);
            encoder.WriteLong(data.Length);
            file.Write(data);
            file.Write(sync);
        }

        return file.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a container file: its metadata and every record, decoded by <paramref name="readRecord"/>;
    /// <paramref name="onMetadata"/> sees the metadata before the first record is decoded.
    /// </summary>
    public static (IReadOnlyDictionary<string, string> Metadata, List<T> Records) Read<T>(ReadOnlyMemory<byte> file, Func<AvroDecoder, T> readRecord, Action<IReadOnlyDictionary<string, string>>? onMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(readRecord);
        if (file.Length < s_magic.Length + SyncSize || !file.Span[..s_magic.Length].SequenceEqual(s_magic))
        {
            throw new InvalidDataException("Not an Avro object container file.");
        }

        var decoder = new AvroDecoder(file[s_magic.Length..]);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        decoder.ReadBlocks(d => metadata[d.ReadString()] = Encoding.UTF8.GetString(d.ReadBytes()));
        var sync = decoder.ReadFixed(SyncSize);
        onMetadata?.Invoke(metadata);
        var codec = metadata.GetValueOrDefault("avro.codec", "null");
        if (codec is not ("null" or "deflate"))
        {
            throw new InvalidDataException($"Avro codec '{codec}' is not supported (only null and deflate).");
        }

        var records = new List<T>();
        while (!decoder.AtEnd)
        {
            var count = decoder.ReadLong();
            var data = decoder.ReadFixed(checked((int)decoder.ReadLong()));
            if (!decoder.ReadFixed(SyncSize).AsSpan().SequenceEqual(sync))
            {
                throw new InvalidDataException("An Avro block does not end with the file's sync marker.");
            }

            var block = new AvroDecoder(codec == "deflate" ? Inflate(data) : data);
            for (var i = 0; i < count; i++)
            {
                records.Add(readRecord(block));
            }
        }

        return (metadata, records);
    }

    private static byte[] Deflate(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Inflate(byte[] data)
    {
        using var input = new DeflateStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
