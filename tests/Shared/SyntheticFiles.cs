using IceGate.Lakehouse.Iceberg;

namespace IceGate.Tests;

/// <summary>Data-file records for catalog tests, which commit and plan files without reading them.</summary>
internal static class SyntheticFiles
{
    public static DataFile Logs(string tableLocation, string name, string tenant = "acme", int day = 19724, long records = 10)
    {
        var dayStart = day * 86_400_000_000L;
        return new DataFile
        {
            FilePath = $"{tableLocation}/data/tenant_id={tenant}/timestamp_day={day}/{name}.parquet",
            Partition = [tenant, day],
            RecordCount = records,
            FileSizeInBytes = 1000 + records,
            ValueCounts = new Dictionary<int, long> { [1] = records, [3] = records },
            NullValueCounts = new Dictionary<int, long> { [1] = 0, [3] = 0 },
            LowerBounds = new Dictionary<int, byte[]> { [1] = SingleValue.Encode(PrimitiveType.String, tenant), [3] = SingleValue.Encode(PrimitiveType.Timestamp, dayStart) },
            UpperBounds = new Dictionary<int, byte[]> { [1] = SingleValue.Encode(PrimitiveType.String, tenant), [3] = SingleValue.Encode(PrimitiveType.Timestamp, dayStart + 86_399_999_999L) },
        };
    }
}
