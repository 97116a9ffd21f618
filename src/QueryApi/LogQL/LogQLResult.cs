namespace IceGate.QueryApi.LogQL;

/// <summary>The time points a query is evaluated at: <c>start, start+step, …</c> up to and including <c>end</c>.</summary>
/// <param name="StartMicros">The first point (µs).</param>
/// <param name="EndMicros">The last point at the latest (µs).</param>
/// <param name="StepMicros">The distance between points (µs).</param>
public sealed record EvaluationRange(long StartMicros, long EndMicros, long StepMicros)
{
    /// <summary>The number of points.</summary>
    public int Steps => (int)((EndMicros - StartMicros) / StepMicros) + 1;

    /// <summary>The time of point <paramref name="step"/> (µs).</summary>
    public long At(int step) => StartMicros + (step * StepMicros);
}

/// <summary>What a LogQL query returns.</summary>
public abstract record LogQLResult
{
    /// <summary>A metric result as series over <paramref name="range"/>: a scalar is one series without labels, as in Prometheus.</summary>
    public IReadOnlyList<Series> AsSeries(EvaluationRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return this switch
        {
            MatrixResult matrix => matrix.Series,
            ScalarResult scalar => [new Series(LabelSet.Empty, Series.Constant(scalar.Value, range.Steps))],
            _ => throw new InvalidOperationException("A log query's streams are not series."),
        };
    }
}

/// <summary>A log query's lines, by stream.</summary>
/// <param name="Streams">Each stream's labels and entries (timestamp in µs, line), in the query's direction.</param>
public sealed record StreamsResult(IReadOnlyList<(LabelSet Labels, List<(long TimestampMicros, string Line)> Entries)> Streams) : LogQLResult
{
    /// <summary>The number of entries over all streams.</summary>
    public int EntryCount => Streams.Sum(s => s.Entries.Count);
}

/// <summary>Series of a metric query, one value (or none) per point of the range.</summary>
/// <param name="Series">Each series' labels and values.</param>
public sealed record MatrixResult(IReadOnlyList<Series> Series) : LogQLResult;

/// <summary>A number (a query without series, such as <c>1 + 1</c>).</summary>
/// <param name="Value">The number.</param>
public sealed record ScalarResult(double Value) : LogQLResult;

/// <summary>One series: labels and a value (or none) per point.</summary>
/// <param name="Labels">Its labels.</param>
/// <param name="Values">Its value at each point, null where it has none.</param>
public sealed record Series(LabelSet Labels, double?[] Values)
{
    /// <summary>The same value at every step.</summary>
    public static double?[] Constant(double value, int steps) => [.. Enumerable.Repeat<double?>(value, steps)];
}
