using System.Diagnostics;
using System.Text.Json;
using IceGate.Lakehouse.Iceberg;
using IceGate.Tests;

namespace IceGate.Lakehouse.Tests.Iceberg;

public sealed class ManifestCodecTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-avro-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static DataFile SampleFile(string tenant = "acme", int day = 19724, long records = 42) => new()
    {
        FilePath = $"file:///lake/logs/data/tenant_id={tenant}/timestamp_day={day}/part-0.parquet",
        Partition = [tenant, day],
        RecordCount = records,
        FileSizeInBytes = 4096,
        ColumnSizes = new Dictionary<int, long> { [1] = 10, [3] = 300 },
        ValueCounts = new Dictionary<int, long> { [1] = records, [3] = records },
        NullValueCounts = new Dictionary<int, long> { [1] = 0, [3] = 1 },
        LowerBounds = new Dictionary<int, byte[]> { [1] = SingleValue.Encode(PrimitiveType.String, tenant), [3] = SingleValue.Encode(PrimitiveType.Timestamp, 1704164645000000L) },
        UpperBounds = new Dictionary<int, byte[]> { [1] = SingleValue.Encode(PrimitiveType.String, tenant), [3] = SingleValue.Encode(PrimitiveType.Timestamp, 1704164699000000L) },
        SortOrderId = 1,
    };

    [Fact]
    public void A_manifest_round_trips_and_added_entries_inherit_sequence_numbers_from_the_list()
    {
        var table = TableSchemas.Logs;
        var entries = new[]
        {
            new ManifestEntry(ManifestEntryStatus.Added, 7, null, null, SampleFile()),
            new ManifestEntry(ManifestEntryStatus.Existing, 5, 3, 3, SampleFile("globex", 19725, 9)),
        };
        var manifest = ManifestCodec.WriteManifest(table.Schema, table.Spec, entries);
        var listed = new ManifestFile { ManifestPath = "file:///m.avro", ManifestLength = manifest.Length, SequenceNumber = 4, MinSequenceNumber = 3, AddedSnapshotId = 7 };

        var read = ManifestCodec.ReadManifest(manifest, listed);

        Assert.Equal(2, read.Count);
        Assert.Equal((ManifestEntryStatus.Added, 7L, 4L, 4L), (read[0].Status, read[0].SnapshotId, read[0].SequenceNumber, read[0].FileSequenceNumber));
        Assert.Equal((3L, 3L), (read[1].SequenceNumber, read[1].FileSequenceNumber));
        var file = read[0].File;
        Assert.Equal(SampleFile().FilePath, file.FilePath);
        Assert.Equal(["acme", 19724], file.Partition);
        Assert.Equal(42, file.RecordCount);
        Assert.Equal(SampleFile().ColumnSizes, file.ColumnSizes);
        Assert.Equal(SampleFile().LowerBounds[3], file.LowerBounds[3]);
        Assert.Equal(1704164699000000L, SingleValue.Decode(PrimitiveType.Timestamp, file.UpperBounds[3]));
        Assert.Equal(1, file.SortOrderId);
        Assert.Equal(["globex", 19725], read[1].File.Partition);
    }

    [Fact]
    public void The_null_codec_writes_the_same_records_uncompressed()
    {
        var records = Enumerable.Range(0, 50).Select(i => $"record {i}").ToList();
        var deflated = Lakehouse.Avro.AvroContainer.Write("\"string\"", new Dictionary<string, string>(), records, (e, r) => e.WriteString(r));
        var plain = Lakehouse.Avro.AvroContainer.Write("\"string\"", new Dictionary<string, string>(), records, (e, r) => e.WriteString(r), deflate: false);

        var (metadata, read) = Lakehouse.Avro.AvroContainer.Read(plain, d => d.ReadString());
        Assert.Equal("null", metadata["avro.codec"]);
        Assert.Equal(records, read);
        Assert.Equal(records, Lakehouse.Avro.AvroContainer.Read(deflated, d => d.ReadString()).Records);
        Assert.True(deflated.Length < plain.Length);
    }

    [Fact]
    public void A_manifest_list_round_trips()
    {
        var manifests = new[]
        {
            new ManifestFile
            {
                ManifestPath = "file:///lake/logs/metadata/a-m0.avro", ManifestLength = 1234, SequenceNumber = 2, MinSequenceNumber = 1, AddedSnapshotId = 99,
                AddedFilesCount = 3, ExistingFilesCount = 1, AddedRowsCount = 300, ExistingRowsCount = 7,
                Partitions = [new FieldSummary(false, false, "acme"u8.ToArray(), "zeta"u8.ToArray()), new FieldSummary(true, null, null, null)],
            },
        };
        var read = Assert.Single(ManifestCodec.ReadManifestList(ManifestCodec.WriteManifestList(99, 98, 2, manifests)));
        Assert.Equal(manifests[0] with { Partitions = [] }, read with { Partitions = [] });
        Assert.Equal(2, read.Partitions.Count);
        Assert.Equal("zeta"u8.ToArray(), read.Partitions[0].UpperBound);
        Assert.Equal(new FieldSummary(true, null, null, null), read.Partitions[1]);
    }

    [Fact]
    public void Apache_avros_own_reader_decodes_our_manifest_with_field_ids_and_spec_metadata()
    {
        var table = TableSchemas.Logs;
        var path = Path.Combine(_directory, "manifest.avro");
        File.WriteAllBytes(path, ManifestCodec.WriteManifest(table.Schema, table.Spec, [new ManifestEntry(ManifestEntryStatus.Added, 7, null, null, SampleFile())]));

        using var result = ReadWithApacheAvro(path);
        var metadata = result.RootElement.GetProperty("metadata");
        Assert.Equal("2", metadata.GetProperty("format-version").GetString());
        Assert.Equal("data", metadata.GetProperty("content").GetString());
        Assert.Equal("0", metadata.GetProperty("partition-spec-id").GetString());
        Assert.Equal("0", metadata.GetProperty("schema-id").GetString());
        Assert.Equal("deflate", metadata.GetProperty("avro.codec").GetString());
        using (var spec = JsonDocument.Parse(metadata.GetProperty("partition-spec").GetString()!))
        {
            Assert.Equal([1000, 1001], spec.RootElement.EnumerateArray().Select(f => f.GetProperty("field-id").GetInt32()));
        }

        using (var schema = JsonDocument.Parse(metadata.GetProperty("schema").GetString()!))
        {
            Assert.Equal(table.Schema, IcebergSchema.Parse(schema.RootElement));
        }

        using var avroSchema = JsonDocument.Parse(metadata.GetProperty("avro.schema").GetString()!);
        var ids = FieldIds(avroSchema.RootElement);
        Assert.Equal(0, ids["status"]);
        Assert.Equal(2, ids["data_file"]);
        Assert.Equal(100, ids["file_path"]);
        Assert.Equal(102, ids["partition"]);
        Assert.Equal(1000, ids["tenant_id"]);
        Assert.Equal(1001, ids["timestamp_day"]);
        Assert.Equal(125, ids["lower_bounds"]);

        var record = Assert.Single(result.RootElement.GetProperty("records").EnumerateArray());
        Assert.Equal(1, record.GetProperty("status").GetInt32());
        Assert.Equal(7, record.GetProperty("snapshot_id").GetInt64());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("sequence_number").ValueKind);
        var dataFile = record.GetProperty("data_file");
        Assert.Equal(SampleFile().FilePath, dataFile.GetProperty("file_path").GetString());
        Assert.Equal("PARQUET", dataFile.GetProperty("file_format").GetString());
        Assert.Equal("acme", dataFile.GetProperty("partition").GetProperty("tenant_id").GetString());
        // Avro applies the date logical type: day 19724 since 1970 is 2024-01-02.
        Assert.Equal("2024-01-02", dataFile.GetProperty("partition").GetProperty("timestamp_day").GetString());
        Assert.Equal(42, dataFile.GetProperty("record_count").GetInt64());
        var lower = dataFile.GetProperty("lower_bounds").EnumerateArray().ToDictionary(e => e.GetProperty("key").GetInt32(), e => e.GetProperty("value").GetString());
        Assert.Equal("61636d65", lower[1]);
        Assert.Equal("40d34dc0ed0d0600", lower[3]);
    }

    [Fact]
    public void Apache_avros_own_reader_decodes_our_manifest_list()
    {
        var path = Path.Combine(_directory, "snap.avro");
        File.WriteAllBytes(path, ManifestCodec.WriteManifestList(99, null, 1,
        [
            new ManifestFile
            {
                ManifestPath = "file:///m.avro", ManifestLength = 10, SequenceNumber = 1, MinSequenceNumber = 1, AddedSnapshotId = 99, AddedFilesCount = 1, AddedRowsCount = 42,
                Partitions = [new FieldSummary(false, false, "acme"u8.ToArray(), "acme"u8.ToArray()), new FieldSummary(false, false, [0x0c, 0x4d, 0, 0], [0x0c, 0x4d, 0, 0])],
            },
        ]));

        using var result = ReadWithApacheAvro(path);
        var metadata = result.RootElement.GetProperty("metadata");
        Assert.Equal("99", metadata.GetProperty("snapshot-id").GetString());
        Assert.Equal("null", metadata.GetProperty("parent-snapshot-id").GetString());
        Assert.Equal("1", metadata.GetProperty("sequence-number").GetString());
        using var avroSchema = JsonDocument.Parse(metadata.GetProperty("avro.schema").GetString()!);
        var ids = FieldIds(avroSchema.RootElement);
        Assert.Equal(500, ids["manifest_path"]);
        Assert.Equal(517, ids["content"]);
        Assert.Equal(507, ids["partitions"]);
        Assert.Equal(509, ids["contains_null"]);

        var record = Assert.Single(result.RootElement.GetProperty("records").EnumerateArray());
        Assert.Equal("file:///m.avro", record.GetProperty("manifest_path").GetString());
        Assert.Equal(42, record.GetProperty("added_rows_count").GetInt64());
        var summaries = record.GetProperty("partitions").EnumerateArray().ToList();
        Assert.Equal("61636d65", summaries[0].GetProperty("lower_bound").GetString());
        Assert.Equal("0c4d0000", summaries[1].GetProperty("upper_bound").GetString());
        Assert.False(summaries[1].GetProperty("contains_null").GetBoolean());
    }

    private static Dictionary<string, int> FieldIds(JsonElement schema)
    {
        var ids = new Dictionary<string, int>();
        void Visit(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    if (element.TryGetProperty("name", out var name) && element.TryGetProperty("field-id", out var id))
                    {
                        ids[name.GetString()!] = id.GetInt32();
                    }

                    foreach (var property in element.EnumerateObject())
                    {
                        Visit(property.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Visit(item);
                    }

                    break;
            }
        }

        Visit(schema);
        return ids;
    }

    private static JsonDocument ReadWithApacheAvro(string path)
    {
        DebianPython.Require("avro", "it is the independent Avro reader.");
        var start = new ProcessStartInfo(DebianPython.Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Iceberg", "read_avro.py"));
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3-avro could not read the file (is Debian's python3-avro installed?):\n{errors}");
        return JsonDocument.Parse(output);
    }
}
