using System.Globalization;
using System.Text;
using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// Evaluates LogQL for one tenant by translating it to DuckDB SQL over the logs table (run by
/// <see cref="QueryEngine"/>, so tenant isolation, pruning and the WAL tail are the SQL API's).
/// The stream selector, the line filters before any parser, the time range and, for counting
/// and byte aggregations whose pipeline ends there, the whole range aggregation (grouped into
/// time buckets, and by the outer <c>sum by</c> labels when there is one) run in DuckDB. Parsers
/// and what follows them run in .NET (<see cref="LogPipeline"/>) over the lines DuckDB selected;
/// log queries read their range in slices, newest (or oldest) first, until they have enough lines.
/// Range windows are <c>(t - range - offset, t - offset]</c>, as in Loki.
/// </summary>
public sealed class LogQLEvaluator
{
    private const int MaxPointsPerSeries = 11_000;
    private const long FirstSliceMicros = 3_600_000_000;

    private static readonly HashSet<string> s_countingOps = ["count_over_time", "rate", "bytes_over_time", "bytes_rate", "absent_over_time"];

    private readonly QueryEngine _engine;
    private readonly string _tenant;
    private readonly CancellationToken _cancellationToken;

    /// <summary>An evaluator for one request of <paramref name="tenant"/>, within its <paramref name="limits"/>.</summary>
    public LogQLEvaluator(QueryEngine engine, string tenant, QueryLimits limits, CancellationToken cancellationToken)
    {
        _engine = engine;
        _tenant = tenant;
        Limits = limits;
        _cancellationToken = cancellationToken;
    }

    /// <summary>What the tenant's queries may take.</summary>
    public QueryLimits Limits { get; }

    /// <summary>What the SQL queries read.</summary>
    public QueryCounters Counters { get; } = new();

    /// <summary>Lines the pipeline saw (for aggregations done in DuckDB: lines aggregated).</summary>
    public long LinesProcessed { get; private set; }

    /// <summary>Bytes of those lines, where they were read.</summary>
    public long LineBytesProcessed { get; private set; }

    /// <summary>
    /// Evaluates a log query: up to <paramref name="limit"/> entries in [start, end), newest first
    /// unless <paramref name="forward"/>. Like Loki, it reads the range in slices from the end it
    /// starts at (an hour, then twice as long each time) and stops once it has enough lines: a
    /// query for the last 100 lines of a week reads, fetches and sorts only the newest files.
    /// </summary>
    public async Task<StreamsResult> LogsAsync(LogQuery query, long startMicros, long endMicros, int limit, bool forward)
    {
        ArgumentNullException.ThrowIfNull(query);
        var (sqlFilters, rest) = Split(query.Pipeline);
        var pipeline = new LogPipeline(rest);
        var streams = new Dictionary<LabelSet, List<(long, string)>>();
        var entries = 0;
        var slice = FirstSliceMicros;
        for (var done = 0L; entries < limit && done < endMicros - startMicros; done += slice, slice *= 2)
        {
            var (from, to) = forward
                ? (startMicros + done, Math.Min(endMicros, startMicros + done + slice))
                : (Math.Max(startMicros, endMicros - done - slice), endMicros - done);
            var sql = new StringBuilder($"SELECT epoch_us(\"timestamp\") AS ts, coalesce(body, '') AS line, {LogLabels.StreamColumns} FROM logs WHERE ")
                .Append(Where(query.Matchers, sqlFilters, from, to))
                .Append(CultureInfo.InvariantCulture, $" ORDER BY \"timestamp\" {(forward ? "ASC" : "DESC")}");
            if (pipeline.IsEmpty)
            {
                sql.Append(CultureInfo.InvariantCulture, $" LIMIT {limit - entries}");
            }

            await RunAsync(sql.ToString(), query.Matchers, from, to, reader =>
            {
                while (entries < limit && reader.Read())
                {
                    var line = ReadLine(reader);
                    if (!pipeline.Process(line))
                    {
                        continue;
                    }

                    var labels = new LabelSet(line.Labels);
                    if (!streams.TryGetValue(labels, out var list))
                    {
                        streams[labels] = list = [];
                    }

                    list.Add((line.TimestampMicros, line.Line));
                    entries++;
                }
            }).ConfigureAwait(false);
        }

        return new StreamsResult([.. streams.Select(s => (s.Key, s.Value))]);
    }

    /// <summary>The streams with lines in [start, end) that any of <paramref name="selectors"/> selects (all streams for none), with their lines and bytes.</summary>
    public async Task<List<(LabelSet Labels, long Entries, long Bytes)>> StreamsAsync(IReadOnlyList<IReadOnlyList<LabelMatcher>> selectors, long startMicros, long endMicros, bool withBytes)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        var any = selectors.Count == 0 ? "" : $" AND ({string.Join(" OR ", selectors.Select(s => $"({string.Join(" AND ", s.Select(LogLabels.Condition))})"))})";
        var sql = $"SELECT {LogLabels.StreamColumns}, count(*) AS lines, {(withBytes ? "CAST(sum(strlen(coalesce(body, ''))) AS BIGINT)" : "0::BIGINT")} AS bytes FROM logs WHERE {Where([], [], startMicros, endMicros)}{any} GROUP BY ALL";
        var streams = new Dictionary<LabelSet, (long Entries, long Bytes)>();
        await RunAsync(sql, selectors.Count == 1 ? selectors[0] : [], startMicros, endMicros, reader =>
        {
            while (reader.Read())
            {
                var labels = new LabelSet(LogLabels.FromRow(Value(reader, 0), Value(reader, 1), Value(reader, 2)));
                var (entries, bytes) = streams.GetValueOrDefault(labels);
                streams[labels] = (entries + reader.GetInt64(3), bytes + reader.GetInt64(4));
            }
        }).ConfigureAwait(false);
        LinesProcessed += streams.Values.Sum(s => s.Entries);
        return [.. streams.Select(s => (s.Key, s.Value.Entries, s.Value.Bytes))];
    }

    /// <summary>Evaluates a metric expression at every point of <paramref name="range"/>.</summary>
    public async Task<LogQLResult> MetricAsync(LogQLExpr expr, EvaluationRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (range.Steps > MaxPointsPerSeries)
        {
            throw new QueryException(400, $"exceeded maximum resolution of {MaxPointsPerSeries:N0} points per timeseries. Try decreasing the query resolution (?step=XX)");
        }

        return await EvaluateAsync(expr, range).ConfigureAwait(false);
    }

    private async Task<LogQLResult> EvaluateAsync(LogQLExpr expr, EvaluationRange range)
    {
        switch (expr)
        {
            case ScalarLiteral scalar:
                return new ScalarResult(scalar.Value);
            case VectorLiteral vector:
                return new MatrixResult(new ScalarResult(vector.Value).AsSeries(range));
            case RangeAggregation aggregation:
                return new MatrixResult(await RangeAsync(aggregation, range, sumBy: null).ConfigureAwait(false));
            case VectorAggregation { Op: "sum", Grouping: { Without: false } grouping, Inner: RangeAggregation inner } when SumDistributes(inner):
                // sum by (…) of counts (or sums) is the count grouped by those labels: samples are
                // grouped so as they are read (in DuckDB when it aggregates), never per series.
                return new MatrixResult(await RangeAsync(inner, range, grouping.Labels).ConfigureAwait(false));
            case VectorAggregation aggregation:
                {
                    var inner = await EvaluateAsync(aggregation.Inner, range).ConfigureAwait(false);
                    return inner is MatrixResult matrix
                        ? new MatrixResult(Aggregate(aggregation, matrix.Series, range.Steps))
                        : throw new QueryException(400, $"{aggregation.Op} needs a vector, not a scalar");
                }

            case BinaryExpr binary:
                {
                    var left = await EvaluateAsync(binary.Left, range).ConfigureAwait(false);
                    var right = await EvaluateAsync(binary.Right, range).ConfigureAwait(false);
                    return Binary(binary, left, right, range.Steps);
                }

            case LogQuery:
                throw new QueryException(400, "a log query cannot be part of a metric expression; wrap it in a range aggregation such as count_over_time({…}[5m])");
            default:
                throw new QueryException(400, $"unsupported LogQL expression {expr}");
        }
    }

    /// <summary>Whether the sum of a range aggregation's series is the aggregation of their samples together (counts, bytes, rates and sums).</summary>
    private static bool SumDistributes(RangeAggregation aggregation) =>
        aggregation.Op is "count_over_time" or "rate" or "bytes_over_time" or "bytes_rate" or "sum_over_time" && aggregation.Grouping is null;

    /// <summary>
    /// Evaluates a range aggregation. Samples are summed into buckets of gcd(step, range) so that
    /// every window is a whole number of buckets; DuckDB does the bucketing when the pipeline has
    /// nothing for .NET to do and the aggregation only counts lines or bytes.
    /// </summary>
    private async Task<List<Series>> RangeAsync(RangeAggregation aggregation, EvaluationRange range, IReadOnlyList<string>? sumBy)
    {
        var step = range.Steps == 1 ? aggregation.RangeMicros : range.StepMicros;
        var width = Gcd(step, aggregation.RangeMicros);
        var origin = range.StartMicros - aggregation.OffsetMicros - aggregation.RangeMicros;
        var buckets = (((range.Steps - 1) * step) + aggregation.RangeMicros) / width;
        if (buckets > Limits.MaxPoints)
        {
            throw new QueryException(400, $"the step and range need {buckets:N0} time buckets per series, over the {Limits.MaxPoints:N0} points Query:Limits:MaxPoints allows; make the step a multiple of the range or the other way round");
        }

        // Rows in (origin, origin + buckets × width]: as a half-open range in µs, [origin + 1, … + 1).
        var from = origin + 1;
        var to = origin + (buckets * width) + 1;
        var bytes = aggregation.Op is "bytes_over_time" or "bytes_rate";
        var series = new Dictionary<LabelSet, Buckets>();
        Buckets SeriesOf(LabelSet labels)
        {
            if (series.TryGetValue(labels, out var found))
            {
                return found;
            }

            if (series.Count + 1 > Limits.MaxSeries)
            {
                throw new QueryException(400, $"maximum number of series ({Limits.MaxSeries:N0}) reached for a single query, the most Query:Limits:MaxSeries allows; aggregate with sum by (…) or narrow the selector");
            }

            if ((series.Count + 1) * buckets > Limits.MaxPoints)
            {
                throw new QueryException(400, $"the query has more than {series.Count:N0} series at {buckets:N0} time buckets each, over the {Limits.MaxPoints:N0} points Query:Limits:MaxPoints allows; aggregate with sum by (…), narrow the selector, or use a longer step or a shorter range");
            }

            return series[labels] = new Buckets((int)buckets, aggregation.Op == "quantile_over_time");
        }

        var (sqlFilters, rest) = Split(aggregation.Query.Pipeline);
        var where = Where(aggregation.Query.Matchers, sqlFilters, from, to);
        var bucketSql = $"(epoch_us(\"timestamp\") - {from}) // {width}";
        if (rest.Count == 0 && s_countingOps.Contains(aggregation.Op))
        {
            var groups = sumBy is null ? LogLabels.StreamColumns : string.Join(", ", sumBy.Select((l, i) => $"{LogLabels.Sql(l)} AS \"g{i}\"").DefaultIfEmpty("NULL AS \"g\""));
            var sql = $"SELECT {groups}, {bucketSql} AS bucket, count(*) AS lines{(bytes ? ", CAST(sum(strlen(coalesce(body, ''))) AS DOUBLE) AS bytes" : "")} FROM logs WHERE {where} GROUP BY ALL";
            var groupLabels = new Dictionary<string, LabelSet>(StringComparer.Ordinal);
            await RunAsync(sql, aggregation.Query.Matchers, from, to, reader =>
            {
                var columns = sumBy is null ? 3 : Math.Max(1, sumBy.Count);
                while (reader.Read())
                {
                    LabelSet labels;
                    if (sumBy is null)
                    {
                        labels = new LabelSet(LogLabels.FromRow(Value(reader, 0), Value(reader, 1), Value(reader, 2)));
                    }
                    else
                    {
                        // One label set per distinct group (the rows are groups × buckets).
                        var values = sumBy.Select((_, i) => Value(reader, i) as string).ToArray();
                        var key = string.Join('\u0001', values.Select(v => v ?? "\u0002"));
                        if (!groupLabels.TryGetValue(key, out labels!))
                        {
                            groupLabels[key] = labels = new LabelSet(sumBy.Zip(values).Where(p => p.Second is not null).Select(p => KeyValuePair.Create(p.First, p.Second!)));
                        }
                    }

                    var lines = reader.GetInt64(columns + 1);
                    LinesProcessed += lines;
                    SeriesOf(labels).Add((int)reader.GetInt64(columns), lines, bytes ? reader.GetDouble(columns + 2) : lines, null);
                }
            }).ConfigureAwait(false);
        }
        else
        {
            var pipeline = new LogPipeline(rest);
            var unwrap = aggregation.Unwrap is not null;
            var sql = $"SELECT epoch_us(\"timestamp\") AS ts, coalesce(body, '') AS line, {LogLabels.StreamColumns} FROM logs WHERE {where}";
            await RunAsync(sql, aggregation.Query.Matchers, from, to, reader =>
            {
                while (reader.Read())
                {
                    var line = ReadLine(reader);
                    if (!pipeline.Process(line))
                    {
                        continue;
                    }

                    var value = unwrap ? line.Value!.Value : bytes ? Encoding.UTF8.GetByteCount(line.Line) : 1;
                    var labels = sumBy is not null ? Group(line.Labels, new Grouping(false, sumBy))
                        : aggregation.Grouping is { } grouping ? Group(line.Labels, grouping)
                        : new LabelSet(line.Labels);
                    SeriesOf(labels).Add((int)((line.TimestampMicros - from) / width), 1, value, value);
                }
            }).ConfigureAwait(false);
        }

        var perWindow = (int)(aggregation.RangeMicros / width);
        var stride = (int)(step / width);
        var seconds = aggregation.RangeMicros / 1e6;
        if (aggregation.Op == "absent_over_time")
        {
            var values = new double?[range.Steps];
            for (var k = 0; k < range.Steps; k++)
            {
                var present = series.Values.Any(b => b.Window(k * stride, perWindow).Count > 0);
                values[k] = present ? null : 1;
            }

            var labels = new LabelSet(aggregation.Query.Matchers.Where(m => m.Op == MatchOp.Equal).Select(m => KeyValuePair.Create(m.Name, m.Value)));
            return values.Any(v => v is not null) ? [new Series(labels, values)] : [];
        }

        var result = new List<Series>();
        foreach (var (labels, samples) in series)
        {
            var values = new double?[range.Steps];
            for (var k = 0; k < range.Steps; k++)
            {
                var window = samples.Window(k * stride, perWindow);
                if (window.Count == 0)
                {
                    continue;
                }

                values[k] = aggregation.Op switch
                {
                    "count_over_time" => window.Count,
                    "rate" => window.Count / seconds,
                    "bytes_over_time" or "sum_over_time" => window.Sum,
                    "bytes_rate" => window.Sum / seconds,
                    "avg_over_time" => window.Sum / window.Count,
                    "min_over_time" => window.Min,
                    "max_over_time" => window.Max,
                    _ => Quantile(aggregation.Parameter!.Value, window.Values!),
                };
            }

            if (values.Any(v => v is not null))
            {
                result.Add(new Series(labels, values));
            }
        }

        return result;
    }

    /// <summary>Prometheus' quantile: linear interpolation between the closest ranks; φ outside [0, 1] gives ±Inf.</summary>
    private static double Quantile(double phi, List<double> values)
    {
        if (phi < 0)
        {
            return double.NegativeInfinity;
        }

        if (phi > 1)
        {
            return double.PositiveInfinity;
        }

        values.Sort();
        var rank = phi * (values.Count - 1);
        var lower = (int)Math.Floor(rank);
        var upper = Math.Min(lower + 1, values.Count - 1);
        var weight = rank - lower;
        return (values[lower] * (1 - weight)) + (values[upper] * weight);
    }

    private static List<Series> Aggregate(VectorAggregation aggregation, IReadOnlyList<Series> input, int steps)
    {
        var groups = new Dictionary<LabelSet, List<Series>>();
        foreach (var series in input)
        {
            var key = aggregation.Grouping is { } grouping ? Group(series.Labels.Labels, grouping) : LabelSet.Empty;
            if (!groups.TryGetValue(key, out var members))
            {
                groups[key] = members = [];
            }

            members.Add(series);
        }

        var result = new List<Series>();
        foreach (var (key, members) in groups)
        {
            if (aggregation.Op is "topk" or "bottomk")
            {
                var k = (int)aggregation.Parameter!.Value;
                var chosen = members.Select(m => new double?[steps]).ToArray();
                for (var step = 0; step < steps; step++)
                {
                    var present = members.Select((m, i) => (Value: m.Values[step], Index: i)).Where(p => p.Value is not null);
                    var ranked = aggregation.Op == "topk" ? present.OrderByDescending(p => p.Value) : present.OrderBy(p => p.Value);
                    foreach (var (value, index) in ranked.Take(k))
                    {
                        chosen[index][step] = value;
                    }
                }

                result.AddRange(members.Select((m, i) => new Series(m.Labels, chosen[i])).Where(s => s.Values.Any(v => v is not null)));
                continue;
            }

            var values = new double?[steps];
            for (var step = 0; step < steps; step++)
            {
                var present = members.Select(m => m.Values[step]).OfType<double>().ToList();
                if (present.Count == 0)
                {
                    continue;
                }

                values[step] = aggregation.Op switch
                {
                    "sum" => present.Sum(),
                    "avg" => present.Average(),
                    "min" => present.Min(),
                    "max" => present.Max(),
                    _ => present.Count,
                };
            }

            if (values.Any(v => v is not null))
            {
                result.Add(new Series(key, values));
            }
        }

        return result;
    }

    private static LabelSet Group(IEnumerable<KeyValuePair<string, string>> labels, Grouping grouping) =>
        new(labels.Where(l => grouping.Labels.Contains(l.Key) != grouping.Without));

    private static LogQLResult Binary(BinaryExpr binary, LogQLResult left, LogQLResult right, int steps)
    {
        var op = binary.Op;
        var comparison = op is "==" or "!=" or ">" or ">=" or "<" or "<=";
        if (left is ScalarResult l && right is ScalarResult r)
        {
            return comparison && !binary.ReturnBool
                ? throw new QueryException(400, "comparisons between scalars must use the bool modifier")
                : new ScalarResult(Apply(op, l.Value, r.Value));
        }

        if (op is "and" or "or" or "unless")
        {
            if (left is not MatrixResult leftSet || right is not MatrixResult rightSet)
            {
                throw new QueryException(400, $"{op} is defined between vectors only");
            }

            return new MatrixResult(SetOperation(op, leftSet.Series, rightSet.Series, steps));
        }

        // Each series' value meets the other side's: a scalar's, or the value of the series with the same labels.
        var pairs = (left, right) switch
        {
            (MatrixResult m, ScalarResult s) => m.Series.Select(x => (x.Labels, Left: x.Values, Right: Series.Constant(s.Value, steps), KeepLeft: true)),
            (ScalarResult s, MatrixResult m) => m.Series.Select(x => (x.Labels, Left: Series.Constant(s.Value, steps), Right: x.Values, KeepLeft: false)),
            (MatrixResult a, MatrixResult b) => a.Series.Join(b.Series, x => x.Labels, y => y.Labels, (x, y) => (x.Labels, Left: x.Values, Right: y.Values, KeepLeft: true)),
            _ => throw new QueryException(400, $"{op} needs numbers or vectors"),
        };
        var result = new List<Series>();
        foreach (var (labels, a, b, keepLeft) in pairs)
        {
            var values = new double?[steps];
            for (var step = 0; step < steps; step++)
            {
                if (a[step] is not { } x || b[step] is not { } y)
                {
                    continue;
                }

                var value = Apply(op, x, y);
                values[step] = !comparison || binary.ReturnBool ? value : value == 1 ? (keepLeft ? x : y) : null;
            }

            if (values.Any(v => v is not null))
            {
                result.Add(new Series(labels, values));
            }
        }

        return new MatrixResult(result);
    }

    private static List<Series> SetOperation(string op, IReadOnlyList<Series> left, IReadOnlyList<Series> right, int steps)
    {
        var others = right.ToDictionary(s => s.Labels);
        var result = new List<Series>();
        foreach (var series in left)
        {
            var other = others.GetValueOrDefault(series.Labels);
            var values = new double?[steps];
            for (var step = 0; step < steps; step++)
            {
                var inOther = other?.Values[step] is not null;
                values[step] = op == "and" ? (inOther ? series.Values[step] : null) : op == "unless" ? (inOther ? null : series.Values[step]) : series.Values[step];
            }

            if (values.Any(v => v is not null))
            {
                result.Add(new Series(series.Labels, values));
            }
        }

        if (op == "or")
        {
            var mine = left.Select(s => s.Labels).ToHashSet();
            result.AddRange(right.Where(s => !mine.Contains(s.Labels)));
        }

        return result;
    }


    private static double Apply(string op, double x, double y) => op switch
    {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        "/" => x / y,
        "%" => x % y,
        "^" => Math.Pow(x, y),
        "==" => x == y ? 1 : 0,
        "!=" => x != y ? 1 : 0,
        ">" => x > y ? 1 : 0,
        ">=" => x >= y ? 1 : 0,
        "<" => x < y ? 1 : 0,
        "<=" => x <= y ? 1 : 0,
        _ => throw new QueryException(400, $"unsupported LogQL: the operator {op}"),
    };

    /// <summary>
    /// Splits a pipeline into the line filters DuckDB applies (those before any other stage) and
    /// the stages .NET runs. <c>| drop __error__</c> before any parser is a no-op and is skipped
    /// (Grafana appends it to log volume queries).
    /// </summary>
    internal static (List<LineFilter> Sql, List<PipelineStage> Remaining) Split(IReadOnlyList<PipelineStage> pipeline)
    {
        var sql = new List<LineFilter>();
        var rest = new List<PipelineStage>();
        foreach (var stage in pipeline)
        {
            if (rest.Count == 0 && stage is LineFilter filter)
            {
                sql.Add(filter);
            }
            else if (rest.Count == 0 && stage is DropKeepStage { Keep: false } drop && drop.Names.All(n => n == LogPipeline.ErrorLabel))
            {
                continue;
            }
            else
            {
                rest.Add(stage);
            }
        }

        return (sql, rest);
    }

    private static string Where(IReadOnlyList<LabelMatcher> matchers, List<LineFilter> filters, long fromMicros, long toMicros) =>
        string.Join(" AND ", new[] { $"\"timestamp\" >= {LogLabels.Timestamp(fromMicros)}", $"\"timestamp\" < {LogLabels.Timestamp(toMicros)}" }
            .Concat(matchers.Select(LogLabels.Condition))
            .Concat(filters.Select(LogLabels.Condition)));

    private LogLine ReadLine(DuckDBDataReader reader)
    {
        var line = new LogLine(reader.GetInt64(0), reader.GetString(1), LogLabels.FromRow(Value(reader, 2), Value(reader, 3), Value(reader, 4)));
        LinesProcessed++;
        LineBytesProcessed += Encoding.UTF8.GetByteCount(line.Line);
        return line;
    }

    private static object? Value(DuckDBDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetValue(ordinal);

    /// <summary>Runs one generated statement for the tenant over rows in [from, to) and hands its reader to <paramref name="read"/> off the request thread.</summary>
    /// <remarks>
    /// The statement is the evaluator's own, so it is not parsed and checked again: it reads the
    /// logs table only, and files can be pruned by the time range and by an equality on
    /// <c>service_name</c>, the one stream label that is a column. (A per-query analysis would
    /// also fill the engine's analysis cache with statements that, with their time literals, never
    /// come again.)
    /// </remarks>
    private async Task RunAsync(string sql, IReadOnlyList<LabelMatcher> matchers, long fromMicros, long toMicros, Action<DuckDBDataReader> read)
    {
        var equalities = matchers.Where(m => m is { Name: "service_name", Op: MatchOp.Equal, Value.Length: > 0 }).Take(1).ToDictionary(m => m.Name, object (m) => m.Value);
        var analysis = new SqlAnalysis(["logs"], new Dictionary<string, ScanRequest> { ["logs"] = new() { Equalities = equalities } });
        using var prepared = await _engine.PrepareAsync(new SqlQuery(sql, _tenant, fromMicros, toMicros, int.MaxValue, ResultFormat.Json), analysis, _cancellationToken).ConfigureAwait(false);
        Counters.Add(prepared.Counters);
        await Task.Factory.StartNew(() =>
        {
            using var command = prepared.Connection.CreateCommand();
            command.CommandText = sql;
            using var reader = (DuckDBDataReader)command.ExecuteReader(System.Data.CommandBehavior.Default, _cancellationToken);
            read(reader);
        }, _cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
    }

    private static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>A series' samples summed per time bucket.</summary>
    private sealed class Buckets(int count, bool keepValues)
    {
        private readonly double[] _count = new double[count];
        private readonly double[] _sum = new double[count];
        private readonly double[] _min = new double[count];
        private readonly double[] _max = new double[count];
        private readonly List<double>?[]? _values = keepValues ? new List<double>?[count] : null;

        public void Add(int bucket, double lines, double sum, double? value)
        {
            if (bucket < 0 || bucket >= _count.Length)
            {
                return;
            }

            var first = _count[bucket] == 0;
            _count[bucket] += lines;
            _sum[bucket] += sum;
            if (value is { } v)
            {
                _min[bucket] = first ? v : Math.Min(_min[bucket], v);
                _max[bucket] = first ? v : Math.Max(_max[bucket], v);
                if (_values is not null)
                {
                    (_values[bucket] ??= []).Add(v);
                }
            }
        }

        public (double Count, double Sum, double Min, double Max, List<double>? Values) Window(int first, int length)
        {
            double lines = 0, sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            var values = _values is null ? null : new List<double>();
            for (var bucket = first; bucket < first + length && bucket < _count.Length; bucket++)
            {
                if (_count[bucket] == 0)
                {
                    continue;
                }

                lines += _count[bucket];
                sum += _sum[bucket];
                min = Math.Min(min, _min[bucket]);
                max = Math.Max(max, _max[bucket]);
                values?.AddRange(_values![bucket] ?? []);
            }

            return (lines, sum, min, max, values);
        }
    }
}
