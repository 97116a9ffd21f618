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
    public override void AppendTo(DuckDBAppender appender)
    {
        ArgumentNullException.ThrowIfNull(appender);
        foreach (var row in _rows)
        {
            AppendTenant(appender);
            AppendText(appender, row.ServiceName);
            AppendText(appender, row.MetricName);
            AppendText(appender, row.MetricType);
            AppendText(appender, row.Description);
            AppendText(appender, row.Unit);
            appender.AppendTimestampMicros(row.TimestampMicros);
            if (row.StartMicros > 0)
            {
                appender.AppendTimestampMicros(row.StartMicros);
            }
            else
            {
                appender.AppendNull();
            }

            AppendMap(appender, row.Attributes);
            Number(appender, row.ValueDouble);
            Number(appender, row.ValueInt);
            if (row.IsMonotonic is { } monotonic)
            {
                appender.Append(monotonic);
            }
            else
            {
                appender.AppendNull();
            }

            Number(appender, row.Temporality);
            Number(appender, row.Count);
            Number(appender, row.Sum);
            Number(appender, row.Min);
            Number(appender, row.Max);
            AppendText(appender, row.BucketCounts);
            AppendText(appender, row.ExplicitBounds);
            Number(appender, row.Scale);
            Number(appender, row.ZeroCount);
            Number(appender, row.PositiveOffset);
            AppendText(appender, row.PositiveBucketCounts);
            Number(appender, row.NegativeOffset);
            AppendText(appender, row.NegativeBucketCounts);
            AppendText(appender, row.Quantiles);
            AppendMap(appender, row.ResourceAttributes);
            AppendText(appender, row.ScopeName);
            AppendText(appender, row.ScopeVersion);
            AppendMap(appender, row.ScopeAttributes);
            appender.AppendTimestampMicros(IngestedMicros);
            appender.Append(row.Flags);
            appender.EndRow();
        }
    }

    private static void Number(DuckDBAppender appender, long? value)
    {
        if (value is { } v)
        {
            appender.Append(v);
        }
        else
        {
            appender.AppendNull();
        }
    }

    private static void Number(DuckDBAppender appender, double? value)
    {
        if (value is { } v)
        {
            appender.Append(v);
        }
        else
        {
            appender.AppendNull();
        }
    }
}
