using System.Text.Json;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Lakehouse.Tests.Iceberg;

public sealed class TableMetadataTests
{
    [Fact]
    public void Metadata_json_has_every_field_the_v2_spec_requires_with_the_right_types()
    {
        var table = TableSchemas.Spans;
        var created = TableMetadata.Create("s3://bucket/warehouse/icegate/spans/", table.Schema, table.Spec, table.SortOrder);
        var snapshot = new Snapshot(123, null, 1, 1_700_000_000_000, "s3://bucket/warehouse/icegate/spans/metadata/snap-123.avro", new Dictionary<string, string> { ["operation"] = "append", ["total-records"] = "5" }, 0);
        var metadata = created with { LastSequenceNumber = 1, CurrentSnapshotId = 123, Snapshots = [snapshot], SnapshotLog = [new SnapshotLogEntry(1_700_000_000_000, 123)] };

        using var json = JsonDocument.Parse(metadata.ToJson());
        var root = json.RootElement;
        Assert.Equal(2, root.GetProperty("format-version").GetInt32());
        Assert.True(Guid.TryParse(root.GetProperty("table-uuid").GetString(), out _));
        Assert.Equal("s3://bucket/warehouse/icegate/spans", root.GetProperty("location").GetString());
        Assert.Equal(1, root.GetProperty("last-sequence-number").GetInt64());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("last-updated-ms").ValueKind);
        Assert.Equal(table.Schema.HighestFieldId, root.GetProperty("last-column-id").GetInt32());
        Assert.Equal(37, root.GetProperty("last-column-id").GetInt32());
        Assert.Equal(0, root.GetProperty("current-schema-id").GetInt32());
        Assert.Equal(JsonValueKind.Array, root.GetProperty("schemas").ValueKind);
        Assert.Equal(0, root.GetProperty("default-spec-id").GetInt32());
        Assert.Equal(1001, root.GetProperty("last-partition-id").GetInt32());
        Assert.Equal(1, root.GetProperty("default-sort-order-id").GetInt32());
        Assert.Equal([0, 1], root.GetProperty("sort-orders").EnumerateArray().Select(o => o.GetProperty("order-id").GetInt32()));
        Assert.Equal(JsonValueKind.Object, root.GetProperty("properties").ValueKind);
        Assert.Equal(123, root.GetProperty("current-snapshot-id").GetInt64());
        Assert.Equal(123, root.GetProperty("refs").GetProperty("main").GetProperty("snapshot-id").GetInt64());
        Assert.Equal("branch", root.GetProperty("refs").GetProperty("main").GetProperty("type").GetString());
        var written = Assert.Single(root.GetProperty("snapshots").EnumerateArray());
        Assert.Equal(1, written.GetProperty("sequence-number").GetInt64());
        Assert.Equal("append", written.GetProperty("summary").GetProperty("operation").GetString());
        Assert.False(written.TryGetProperty("parent-snapshot-id", out _));
        Assert.Equal(JsonValueKind.Array, root.GetProperty("snapshot-log").ValueKind);
        Assert.Equal(JsonValueKind.Array, root.GetProperty("metadata-log").ValueKind);
        Assert.False(root.TryGetProperty("schema", out _));
        Assert.False(root.TryGetProperty("partition-spec", out _));

        var spec = Assert.Single(root.GetProperty("partition-specs").EnumerateArray());
        Assert.Equal(["identity:1:1000:tenant_id", "day:9:1001:timestamp_day"], spec.GetProperty("fields").EnumerateArray().Select(f => $"{f.GetProperty("transform").GetString()}:{f.GetProperty("source-id").GetInt32()}:{f.GetProperty("field-id").GetInt32()}:{f.GetProperty("name").GetString()}"));

        var events = Assert.Single(root.GetProperty("schemas")[0].GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "events").GetProperty("type");
        Assert.Equal("list", events.GetProperty("type").GetString());
        Assert.Equal(23, events.GetProperty("element-id").GetInt32());
        Assert.Equal(27, events.GetProperty("element").GetProperty("fields")[2].GetProperty("type").GetProperty("key-id").GetInt32());
    }

    [Fact]
    public void Metadata_round_trips_through_json()
    {
        foreach (var table in TableSchemas.All)
        {
            var metadata = TableMetadata.Create($"file:///lake/{table.Name}", table.Schema, table.Spec, table.SortOrder, new Dictionary<string, string> { ["owner"] = "icegate" });
            var parsed = TableMetadata.Parse(metadata.ToJson());
            Assert.Equal(metadata.CurrentSchema, parsed.CurrentSchema);
            Assert.Equal(metadata.DefaultSpec, parsed.DefaultSpec);
            Assert.Equal(metadata.SortOrders, parsed.SortOrders);
            Assert.Equal("icegate", parsed.Properties["owner"]);
            Assert.Null(parsed.CurrentSnapshotId);
            Assert.Equal(metadata.ToJson(), parsed.ToJson());
        }
    }

    [Fact]
    public void Field_ids_are_unique_within_each_table_schema()
    {
        foreach (var table in TableSchemas.All)
        {
            var ids = table.Schema.Fields.SelectMany(f => f.AllIds()).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(Enumerable.Range(1, ids.Max()), ids.Order());
        }
    }
}
