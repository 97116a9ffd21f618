using System.Globalization;
using System.Text.Json;
using IceGate.Lakehouse.Avro;

namespace IceGate.Lakehouse.Iceberg;

/// <summary>
/// Writes and reads Iceberg v2 manifests and manifest lists: Avro container files whose schemas
/// carry the spec's field ids, with the header metadata the spec requires.
/// </summary>
public static class ManifestCodec
{
    /// <summary>Writes a manifest of data files for one partition spec.</summary>
    public static byte[] WriteManifest(IcebergSchema schema, PartitionSpec spec, IReadOnlyCollection<ManifestEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(spec);
        var partitionTypes = PartitionTypes(schema, spec);
        var metadata = new Dictionary<string, string>
        {
            ["schema"] = schema.ToJson(),
            ["schema-id"] = schema.SchemaId.ToString(CultureInfo.InvariantCulture),
            ["partition-spec"] = JsonText.Write(spec.WriteFieldsJson),
            ["partition-spec-id"] = spec.SpecId.ToString(CultureInfo.InvariantCulture),
            ["format-version"] = "2",
            ["content"] = "data",
        };
        return AvroContainer.Write(ManifestEntrySchema(spec, partitionTypes), metadata, entries, (encoder, entry) => WriteEntry(encoder, entry, partitionTypes));
    }

    /// <summary>
    /// Reads a manifest. Added entries without sequence numbers inherit those of
    /// <paramref name="listedAs"/>, the manifest's row in the manifest list, as the spec requires.
    /// </summary>
    public static List<ManifestEntry> ReadManifest(ReadOnlyMemory<byte> file, ManifestFile? listedAs = null)
    {
        IReadOnlyList<IcebergType>? partitionTypes = null;
        var specId = 0;
        var (_, entries) = AvroContainer.Read(file, decoder =>
        {
            return ReadEntry(decoder, partitionTypes!, specId);
        }, metadata =>
        {
            using var schemaJson = JsonDocument.Parse(metadata["schema"]);
            using var specJson = JsonDocument.Parse($"{{\"spec-id\":{metadata.GetValueOrDefault("partition-spec-id", "0")},\"fields\":{metadata["partition-spec"]}}}");
            var spec = PartitionSpec.Parse(specJson.RootElement);
            specId = spec.SpecId;
            partitionTypes = PartitionTypes(IcebergSchema.Parse(schemaJson.RootElement), spec);
        });

        return listedAs is null
            ? entries
            : entries.Select(e => e.Status == ManifestEntryStatus.Added
                ? e with { SnapshotId = e.SnapshotId ?? listedAs.AddedSnapshotId, SequenceNumber = e.SequenceNumber ?? listedAs.SequenceNumber, FileSequenceNumber = e.FileSequenceNumber ?? listedAs.SequenceNumber }
                : e).ToList();
    }

    /// <summary>Writes a snapshot's manifest list.</summary>
    public static byte[] WriteManifestList(long snapshotId, long? parentSnapshotId, long sequenceNumber, IReadOnlyCollection<ManifestFile> manifests)
    {
        var metadata = new Dictionary<string, string>
        {
            ["snapshot-id"] = snapshotId.ToString(CultureInfo.InvariantCulture),
            ["parent-snapshot-id"] = parentSnapshotId?.ToString(CultureInfo.InvariantCulture) ?? "null",
            ["sequence-number"] = sequenceNumber.ToString(CultureInfo.InvariantCulture),
            ["format-version"] = "2",
        };
        return AvroContainer.Write(s_manifestFileSchema, metadata, manifests, WriteManifestFile);
    }

    /// <summary>Reads a manifest list.</summary>
    public static List<ManifestFile> ReadManifestList(ReadOnlyMemory<byte> file) => AvroContainer.Read(file, ReadManifestFile).Records;

    /// <summary>The partition value types of <paramref name="spec"/> over <paramref name="schema"/>, in spec order.</summary>
    public static IReadOnlyList<IcebergType> PartitionTypes(IcebergSchema schema, PartitionSpec spec) =>
        spec.Fields.Select(f => f.ResultType((schema.FindField(f.SourceId) ?? throw new InvalidDataException($"Partition source field {f.SourceId} is not in the schema.")).Type)).ToList();

    private static void WriteEntry(AvroEncoder encoder, ManifestEntry entry, IReadOnlyList<IcebergType> partitionTypes)
    {
        var file = entry.File;
        encoder.WriteInt((int)entry.Status);
        encoder.WriteOptionalLong(entry.SnapshotId);
        encoder.WriteOptionalLong(entry.SequenceNumber);
        encoder.WriteOptionalLong(entry.FileSequenceNumber);
        encoder.WriteInt(0);
        encoder.WriteString(file.FilePath);
        encoder.WriteString(file.FileFormat);
        for (var i = 0; i < partitionTypes.Count; i++)
        {
            WriteOptionalPrimitive(encoder, partitionTypes[i], file.Partition[i]);
        }

        encoder.WriteLong(file.RecordCount);
        encoder.WriteLong(file.FileSizeInBytes);
        WriteIdMap(encoder, file.ColumnSizes, static (e, v) => e.WriteLong(v));
        WriteIdMap(encoder, file.ValueCounts, static (e, v) => e.WriteLong(v));
        WriteIdMap(encoder, file.NullValueCounts, static (e, v) => e.WriteLong(v));
        encoder.WriteNull();
        WriteIdMap(encoder, file.LowerBounds, static (e, v) => e.WriteBytes(v));
        WriteIdMap(encoder, file.UpperBounds, static (e, v) => e.WriteBytes(v));
        encoder.WriteNull();
        encoder.WriteNull();
        encoder.WriteNull();
        encoder.WriteOptionalInt(file.SortOrderId);
    }

    private static ManifestEntry ReadEntry(AvroDecoder decoder, IReadOnlyList<IcebergType> partitionTypes, int specId)
    {
        var status = (ManifestEntryStatus)decoder.ReadInt();
        var snapshotId = decoder.ReadOptional(d => d.ReadLong());
        var sequenceNumber = decoder.ReadOptional(d => d.ReadLong());
        var fileSequenceNumber = decoder.ReadOptional(d => d.ReadLong());
        var content = decoder.ReadInt();
        if (content != 0)
        {
            throw new InvalidDataException($"Delete files (content {content}) are not supported.");
        }

        var path = decoder.ReadString();
        var format = decoder.ReadString();
        var partition = partitionTypes.Select(type => ReadOptionalPrimitive(decoder, type)).ToList();
        var file = new DataFile
        {
            FilePath = path,
            FileFormat = format,
            SpecId = specId,
            Partition = partition,
            RecordCount = decoder.ReadLong(),
            FileSizeInBytes = decoder.ReadLong(),
            ColumnSizes = ReadIdMap(decoder, static d => d.ReadLong()),
            ValueCounts = ReadIdMap(decoder, static d => d.ReadLong()),
            NullValueCounts = ReadIdMap(decoder, static d => d.ReadLong()),
        };
        ReadIdMap(decoder, static d => d.ReadLong());
        file = file with
        {
            LowerBounds = ReadIdMap(decoder, static d => d.ReadBytes()),
            UpperBounds = ReadIdMap(decoder, static d => d.ReadBytes()),
        };
        decoder.ReadOptionalReference(static d => d.ReadBytes());
        decoder.ReadOptionalReference(static d => d.ReadArray(static a => a.ReadLong()));
        decoder.ReadOptionalReference(static d => d.ReadArray(static a => a.ReadInt()));
        file = file with { SortOrderId = decoder.ReadOptional(static d => d.ReadInt()) };
        return new ManifestEntry(status, snapshotId, sequenceNumber, fileSequenceNumber, file);
    }

    private static void WriteManifestFile(AvroEncoder encoder, ManifestFile manifest)
    {
        encoder.WriteString(manifest.ManifestPath);
        encoder.WriteLong(manifest.ManifestLength);
        encoder.WriteInt(manifest.PartitionSpecId);
        encoder.WriteInt(manifest.Content);
        encoder.WriteLong(manifest.SequenceNumber);
        encoder.WriteLong(manifest.MinSequenceNumber);
        encoder.WriteLong(manifest.AddedSnapshotId);
        encoder.WriteInt(manifest.AddedFilesCount);
        encoder.WriteInt(manifest.ExistingFilesCount);
        encoder.WriteInt(manifest.DeletedFilesCount);
        encoder.WriteLong(manifest.AddedRowsCount);
        encoder.WriteLong(manifest.ExistingRowsCount);
        encoder.WriteLong(manifest.DeletedRowsCount);
        encoder.WriteUnionIndex(1);
        encoder.WriteArray(manifest.Partitions, static (e, summary) =>
        {
            e.WriteBoolean(summary.ContainsNull);
            if (summary.ContainsNan is { } nan)
            {
                e.WriteUnionIndex(1);
                e.WriteBoolean(nan);
            }
            else
            {
                e.WriteNull();
            }

            e.WriteOptionalBytes(summary.LowerBound);
            e.WriteOptionalBytes(summary.UpperBound);
        });
        encoder.WriteNull();
    }

    private static ManifestFile ReadManifestFile(AvroDecoder decoder)
    {
        var manifest = new ManifestFile
        {
            ManifestPath = decoder.ReadString(),
            ManifestLength = decoder.ReadLong(),
            PartitionSpecId = decoder.ReadInt(),
            Content = decoder.ReadInt(),
            SequenceNumber = decoder.ReadLong(),
            MinSequenceNumber = decoder.ReadLong(),
            AddedSnapshotId = decoder.ReadLong(),
            AddedFilesCount = decoder.ReadInt(),
            ExistingFilesCount = decoder.ReadInt(),
            DeletedFilesCount = decoder.ReadInt(),
            AddedRowsCount = decoder.ReadLong(),
            ExistingRowsCount = decoder.ReadLong(),
            DeletedRowsCount = decoder.ReadLong(),
        };
        var partitions = decoder.ReadOptionalReference(static d => d.ReadArray(static s => new FieldSummary(
            s.ReadBoolean(),
            s.ReadOptional(static b => b.ReadBoolean()),
            s.ReadOptionalReference(static b => b.ReadBytes()),
            s.ReadOptionalReference(static b => b.ReadBytes()))));
        decoder.ReadOptionalReference(static d => d.ReadBytes());
        return manifest with { Partitions = partitions ?? [] };
    }

    private static void WriteIdMap<T>(AvroEncoder encoder, IReadOnlyDictionary<int, T> map, Action<AvroEncoder, T> writeValue)
    {
        encoder.WriteUnionIndex(1);
        encoder.WriteArray(map.OrderBy(p => p.Key).ToList(), (e, pair) =>
        {
            e.WriteInt(pair.Key);
            writeValue(e, pair.Value);
        });
    }

    private static Dictionary<int, T> ReadIdMap<T>(AvroDecoder decoder, Func<AvroDecoder, T> readValue)
    {
        var map = new Dictionary<int, T>();
        if (decoder.ReadUnionIndex() == 1)
        {
            decoder.ReadBlocks(d => map[d.ReadInt()] = readValue(d));
        }

        return map;
    }

    private static void WriteOptionalPrimitive(AvroEncoder encoder, IcebergType type, object? value)
    {
        if (value is null)
        {
            encoder.WriteNull();
            return;
        }

        encoder.WriteUnionIndex(1);
        switch (value)
        {
            case string s: encoder.WriteString(s); break;
            case int i: encoder.WriteInt(i); break;
            case long l: encoder.WriteLong(l); break;
            case bool b: encoder.WriteBoolean(b); break;
            case double d: encoder.WriteDouble(d); break;
            case byte[] bytes: encoder.WriteBytes(bytes); break;
            default: throw new NotSupportedException($"Partition values of type {type} ({value.GetType().Name}) are not supported.");
        }
    }

    private static object? ReadOptionalPrimitive(AvroDecoder decoder, IcebergType type)
    {
        if (decoder.ReadUnionIndex() == 0)
        {
            return null;
        }

        return ((PrimitiveType)type).Name switch
        {
            "string" => decoder.ReadString(),
            "int" or "date" => decoder.ReadInt(),
            "long" or "timestamp" or "timestamptz" => decoder.ReadLong(),
            "boolean" => decoder.ReadBoolean(),
            "double" => decoder.ReadDouble(),
            "binary" => decoder.ReadBytes(),
            var other => throw new NotSupportedException($"Partition values of type {other} are not supported."),
        };
    }

    private static string AvroType(IcebergType type) => ((PrimitiveType)type).Name switch
    {
        "string" => "\"string\"",
        "int" => "\"int\"",
        "date" => "{\"type\":\"int\",\"logicalType\":\"date\"}",
        "long" => "\"long\"",
        "timestamp" => "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":false}",
        "timestamptz" => "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\",\"adjust-to-utc\":true}",
        "boolean" => "\"boolean\"",
        "double" => "\"double\"",
        "binary" => "\"bytes\"",
        var other => throw new NotSupportedException($"Partition values of type {other} are not supported."),
    };

    private static string IdMap(int fieldId, int keyId, int valueId, string name, string valueType) =>
        $$$"""{"name":"{{{name}}}","type":["null",{"type":"array","logicalType":"map","items":{"type":"record","name":"k{{{keyId}}}_v{{{valueId}}}","fields":[{"name":"key","type":"int","field-id":{{{keyId}}}},{"name":"value","type":{{{valueType}}},"field-id":{{{valueId}}}}]}}],"default":null,"field-id":{{{fieldId}}}}""";

    private static string ManifestEntrySchema(PartitionSpec spec, IReadOnlyList<IcebergType> partitionTypes)
    {
        var partitionFields = string.Join(",", spec.Fields.Select((f, i) =>
            $$$"""{"name":"{{{f.Name}}}","type":["null",{{{AvroType(partitionTypes[i])}}}],"default":null,"field-id":{{{f.FieldId}}}}"""));
        return $$$"""
            {"type":"record","name":"manifest_entry","fields":[
            {"name":"status","type":"int","field-id":0},
            {"name":"snapshot_id","type":["null","long"],"default":null,"field-id":1},
            {"name":"sequence_number","type":["null","long"],"default":null,"field-id":3},
            {"name":"file_sequence_number","type":["null","long"],"default":null,"field-id":4},
            {"name":"data_file","type":{"type":"record","name":"r2","fields":[
            {"name":"content","type":"int","field-id":134},
            {"name":"file_path","type":"string","field-id":100},
            {"name":"file_format","type":"string","field-id":101},
            {"name":"partition","type":{"type":"record","name":"r102","fields":[{{{partitionFields}}}]},"field-id":102},
            {"name":"record_count","type":"long","field-id":103},
            {"name":"file_size_in_bytes","type":"long","field-id":104},
            {{{IdMap(108, 117, 118, "column_sizes", "\"long\"")}}},
            {{{IdMap(109, 119, 120, "value_counts", "\"long\"")}}},
            {{{IdMap(110, 121, 122, "null_value_counts", "\"long\"")}}},
            {{{IdMap(137, 138, 139, "nan_value_counts", "\"long\"")}}},
            {{{IdMap(125, 126, 127, "lower_bounds", "\"bytes\"")}}},
            {{{IdMap(128, 129, 130, "upper_bounds", "\"bytes\"")}}},
            {"name":"key_metadata","type":["null","bytes"],"default":null,"field-id":131},
            {"name":"split_offsets","type":["null",{"type":"array","items":"long","element-id":133}],"default":null,"field-id":132},
            {"name":"equality_ids","type":["null",{"type":"array","items":"int","element-id":136}],"default":null,"field-id":135},
            {"name":"sort_order_id","type":["null","int"],"default":null,"field-id":140}
            ]},"field-id":2}]}
            """.ReplaceLineEndings(string.Empty);
    }

    private static readonly string s_manifestFileSchema = """
        {"type":"record","name":"manifest_file","fields":[
        {"name":"manifest_path","type":"string","field-id":500},
        {"name":"manifest_length","type":"long","field-id":501},
        {"name":"partition_spec_id","type":"int","field-id":502},
        {"name":"content","type":"int","field-id":517},
        {"name":"sequence_number","type":"long","field-id":515},
        {"name":"min_sequence_number","type":"long","field-id":516},
        {"name":"added_snapshot_id","type":"long","field-id":503},
        {"name":"added_files_count","type":"int","field-id":504},
        {"name":"existing_files_count","type":"int","field-id":505},
        {"name":"deleted_files_count","type":"int","field-id":506},
        {"name":"added_rows_count","type":"long","field-id":512},
        {"name":"existing_rows_count","type":"long","field-id":513},
        {"name":"deleted_rows_count","type":"long","field-id":514},
        {"name":"partitions","type":["null",{"type":"array","items":{"type":"record","name":"r508","fields":[
        {"name":"contains_null","type":"boolean","field-id":509},
        {"name":"contains_nan","type":["null","boolean"],"default":null,"field-id":518},
        {"name":"lower_bound","type":["null","bytes"],"default":null,"field-id":510},
        {"name":"upper_bound","type":["null","bytes"],"default":null,"field-id":511}
        ]},"element-id":508}],"default":null,"field-id":507},
        {"name":"key_metadata","type":["null","bytes"],"default":null,"field-id":519}
        ]}
        """.ReplaceLineEndings(string.Empty);
}
