using IceGate.Ingest.Wal;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;

namespace IceGate.Ingest.Otlp;

/// <summary>One decoded data point. Lists (buckets, bounds, quantiles) are staged as JSON arrays.</summary>
internal readonly record struct MetricRow(
    Utf8Ref ServiceName,
    Utf8Ref MetricName,
    Utf8Ref MetricType,
    Utf8Ref Description,
    Utf8Ref Unit,
    long TimestampMicros,
    long StartMicros,
    MapRef Attributes,
    double? ValueDouble,
    long? ValueInt,
    bool? IsMonotonic,
    int? Temporality,
    long? Count,
    double? Sum,
    double? Min,
    double? Max,
    Utf8Ref BucketCounts,
    Utf8Ref ExplicitBounds,
    int? Scale,
    long? ZeroCount,
    int? PositiveOffset,
    Utf8Ref PositiveBucketCounts,
    int? NegativeOffset,
    Utf8Ref NegativeBucketCounts,
    Utf8Ref Quantiles,
    MapRef ResourceAttributes,
    Utf8Ref ScopeName,
    Utf8Ref ScopeVersion,
    MapRef ScopeAttributes,
    int Flags);

/// <summary>The metric data points of one request, decoded, for one tenant.</summary>
public sealed class MetricBatch : ArenaBatch
{
    private readonly List<MetricRow> _rows = [];

    internal MetricBatch(string tenant, long ingestedMicros)
        : base(tenant, ingestedMicros)
    {
    }

    /// <summary>Bucket counts and bounds stage as JSON number arrays, quantiles as <c>[{"quantile":…,"value":…}]</c>.</summary>
    public static SegmentLayout Layout { get; } = SegmentLayout.WithJsonColumns(TableSchemas.Metrics, new Dictionary<string, string>
    {
        ["bucket_counts"] = """from_json(bucket_counts, '["BIGINT"]')""",
        ["explicit_bounds"] = """from_json(explicit_bounds, '["DOUBLE"]')""",
        ["positive_bucket_counts"] = """from_json(positive_bucket_counts, '["BIGINT"]')""",
        ["negative_bucket_counts"] = """from_json(negative_bucket_counts, '["BIGINT"]')""",
        ["quantiles"] = """from_json(quantiles, '[{"quantile":"DOUBLE","value":"DOUBLE"}]')""",
    });

    /// <inheritdoc />
    public override int RecordCount => _rows.Count;

    /// <inheritdoc />
    private protected override void RemoveLast(int count) => _rows.RemoveRange(_rows.Count - count, count);

    internal void Add(MetricRow row) => _rows.Add(row);

    /// <inheritdoc />
    public override void AppendTo(DuckDBRowWriter rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in _rows)
        {
            AppendTenant(rows);
            AppendText(rows, row.ServiceName);
            AppendText(rows, row.MetricName);
            AppendText(rows, row.MetricType);
            AppendText(rows, row.Description);
            AppendText(rows, row.Unit);
            rows.AppendTimestampMicros(row.TimestampMicros);
            if (row.StartMicros > 0)
            {
                rows.AppendTimestampMicros(row.StartMicros);
            }
            else
            {
                rows.AppendNull();
            }

            AppendMap(rows, row.Attributes);
            Number(rows, row.ValueDouble);
            Number(rows, row.ValueInt);
            if (row.IsMonotonic is { } monotonic)
            {
                rows.Append(monotonic);
            }
            else
            {
                rows.AppendNull();
            }

            Number(rows, row.Temporality);
            Number(rows, row.Count);
            Number(rows, row.Sum);
            Number(rows, row.Min);
            Number(rows, row.Max);
            AppendText(rows, row.BucketCounts);
            AppendText(rows, row.ExplicitBounds);
            Number(rows, row.Scale);
            Number(rows, row.ZeroCount);
            Number(rows, row.PositiveOffset);
            AppendText(rows, row.PositiveBucketCounts);
            Number(rows, row.NegativeOffset);
            AppendText(rows, row.NegativeBucketCounts);
            AppendText(rows, row.Quantiles);
            AppendMap(rows, row.ResourceAttributes);
            AppendText(rows, row.ScopeName);
            AppendText(rows, row.ScopeVersion);
            AppendMap(rows, row.ScopeAttributes);
            rows.AppendTimestampMicros(IngestedMicros);
            rows.Append(row.Flags);
            rows.EndRow();
        }
    }

    private static void Number(DuckDBRowWriter rows, long? value)
    {
        if (value is { } v)
        {
            rows.Append(v);
        }
        else
        {
            rows.AppendNull();
        }
    }

    private static void Number(DuckDBRowWriter rows, double? value)
    {
        if (value is { } v)
        {
            rows.Append(v);
        }
        else
        {
            rows.AppendNull();
        }
    }
}
