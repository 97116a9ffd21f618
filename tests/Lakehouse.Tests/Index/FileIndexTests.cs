using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Tests;

namespace IceGate.Lakehouse.Tests.Index;

public sealed class FileIndexTests : IDisposable
{
    private static readonly TableMetadata s_logs = TableMetadata.Create("file:///lake/logs", TableSchemas.Logs.Schema, TableSchemas.Logs.Spec, TableSchemas.Logs.SortOrder);

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-index-").FullName;
    private readonly DuckDBConnection _connection = new();

    public FileIndexTests() => _connection.Open();

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void A_bloom_filter_never_misses_a_value_it_holds_and_rarely_claims_one_it_does_not()
    {
        var present = Enumerable.Range(0, 100_000).Select(i => $"{i:x32}").ToList();
        var filter = BloomFilter.Build(present.Select(BloomFilter.Hash).ToList());
        Assert.All(present, v => Assert.True(filter.MightContain(BloomFilter.Hash(v))));
        var falsePositives = Enumerable.Range(0, 100_000).Count(i => filter.MightContain(BloomFilter.Hash($"absent-{i}")));

        // 10 bits and 7 positions per value: about 0.8% in theory; the README promises under 1%.
        Assert.InRange(falsePositives, 1, 999);
        Assert.InRange(filter.ByteCount, 100_000 * BloomFilter.BitsPerValue / 8, (100_000 * BloomFilter.BitsPerValue / 8) + 8);
        Assert.False(BloomFilter.Build([]).MightContain(BloomFilter.Hash("")), "an empty filter holds nothing");
    }

    [Fact]
    public void An_index_built_from_a_data_file_holds_its_ids_and_attribute_values_and_survives_its_bytes()
    {
        var path = Path.Combine(_directory, "part.parquet");
        var file = ParquetDataFileWriter.Write(_connection, s_logs, SampleRows.Logs("acme", new DateOnly(2024, 1, 2), 2000), path, "file:///lake/logs/data/part.parquet")!;
        var index = FileIndexBuilder.Build(_connection, TableSchemas.Logs, path, ["http.status_code", "host.name", "user.id"]);
        var traceIds = Strings("SELECT DISTINCT trace_id FROM read_parquet($1)", path);
        Assert.Equal(2000, file.RecordCount);
        Assert.True(traceIds.Count > 100);

        var read = FileIndex.Deserialize(index.Serialize());
        Assert.All(traceIds, id => Assert.True(read.MayContainAny(FileIndex.TraceId, Hashes(id))));
        Assert.False(read.MayContainAny(FileIndex.TraceId, Hashes("0123456789abcdef0123456789abcdef", "not-an-id")));
        Assert.True(read.MayContainAny(FileIndex.AttributeFilter("http.status_code"), Hashes("nope", "300")));
        Assert.True(read.MayContainAny(FileIndex.AttributeFilter("host.name"), Hashes("node-3")));
        Assert.False(read.MayContainAny(FileIndex.AttributeFilter("host.name"), Hashes("node-9")));
        Assert.False(read.MayContainAny(FileIndex.AttributeFilter("user.id"), Hashes("anyone")));

        // A key that was not indexed, or a column without a filter, cannot rule the file out.
        Assert.True(read.MayContainAny(FileIndex.AttributeFilter("thread.name"), Hashes("x")));
        Assert.True(new FileIndex(new Dictionary<string, BloomFilter>()).MayContainAny(FileIndex.SpanId, Hashes("x")));

        // Every byte matters: a flipped bit, a cut, or another format is refused, never misread.
        var bytes = index.Serialize();
        foreach (var broken in new[] { Flip(bytes, bytes.Length / 2), bytes[..^9], Flip(bytes, 4), Flip(bytes, 0), [] })
        {
            Assert.Throws<InvalidDataException>(() => FileIndex.Deserialize(broken));
        }
    }

    [Fact]
    public void An_index_key_is_named_from_its_data_file_and_back()
    {
        const string Data = "warehouse/icegate/logs/data/tenant_id=acme/timestamp_day=20000/shift-1-0-0.parquet";
        var key = IndexKeys.ForDataFile(Data)!;
        Assert.Equal("warehouse/icegate/logs/index/tenant_id=acme/timestamp_day=20000/shift-1-0-0.parquet.igx", key);
        Assert.Equal(Data, IndexKeys.DataFileOf(key));
        Assert.Equal($"file:///lake/{Data}", IndexKeys.DataFileOf(IndexKeys.ForDataFile($"file:///lake/{Data}")!));
        Assert.Null(IndexKeys.DataFileOf(Data));
        Assert.Null(IndexKeys.DataFileOf("warehouse/icegate/logs/metadata/v1.metadata.json"));
        Assert.Null(IndexKeys.ForDataFile("warehouse/icegate/logs/metadata/snap-1.avro"));
    }

    private static ulong[] Hashes(params string[] values) => [.. values.Select(BloomFilter.Hash)];

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x10;
        return copy;
    }

    private List<string> Strings(string sql, string parameter)
    {
        using var command = new DuckDBCommand(sql, _connection);
        command.Parameters.Add(new DuckDBParameter(parameter));
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
