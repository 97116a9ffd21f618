using System.Globalization;
using System.Text.RegularExpressions;

namespace IceGate.Server.Tests.LogQL;

/// <summary>A line as the reference evaluator follows it through a pipeline.</summary>
public sealed class RefLine(LogRecordSpec record)
{
    public LogRecordSpec Record { get; } = record;

    public Dictionary<string, string> Labels { get; } = new(record.Stream, StringComparer.Ordinal);

    public string Line { get; set; } = record.Line;

    public double? Value { get; set; }

    public bool HasError => Labels.ContainsKey("__error__");

    /// <summary>Adds parsed fields the way Loki names them: a stream label's name gets <c>_extracted</c>.</summary>
    public void AddFields(IEnumerable<KeyValuePair<string, string>> fields)
    {
        foreach (var (name, value) in fields)
        {
            Labels[Record.Stream.ContainsKey(name) ? name + "_extracted" : name] = value;
        }
    }
}

/// <summary>A piece of LogQL: its text and what it means, written independently of IceGate's translator.</summary>
/// <param name="Text">The LogQL text.</param>
/// <param name="Apply">What it does to a line; false drops the line.</param>
public sealed record Piece(string Text, Func<RefLine, bool> Apply)
{
    public static Piece operator +(Piece a, Piece b) => new($"{a.Text} {b.Text}", line => a.Apply(line) && b.Apply(line));
}

/// <summary>
/// The reference semantics of the conformance table. Parsers do not parse: the dataset knows the
/// fields it wrote into each line (<see cref="LogRecordSpec.Fields"/>). Filters, formats and
/// aggregations are plain LINQ over the records, with brute-force time windows.
/// </summary>
public static class Ref
{
    public const string Error = "__error__";

    // ---- stream selectors ----
    public static Piece Selector(string text, Func<IReadOnlyDictionary<string, string>, bool> matches) => new(text, line => matches(line.Record.Stream));

    public static string Get(IReadOnlyDictionary<string, string> labels, string name) => labels.TryGetValue(name, out var v) ? v : "";

    public static bool Full(string pattern, string value) => Regex.IsMatch(value, $"^(?:{pattern})$");

    // ---- line filters ----
    public static Piece Contains(params string[] values) => new($"|= {Quote(values)}", l => values.Any(v => l.Line.Contains(v, StringComparison.Ordinal)));

    public static Piece NotContains(params string[] values) => new($"!= {Quote(values)}", l => !values.Any(v => l.Line.Contains(v, StringComparison.Ordinal)));

    public static Piece Matches(string pattern) => new($"|~ `{pattern}`", l => Regex.IsMatch(l.Line, pattern));

    public static Piece NotMatches(string pattern) => new($"!~ `{pattern}`", l => !Regex.IsMatch(l.Line, pattern));

    private static string Quote(string[] values) => string.Join(" or ", values.Select(v => $"\"{v}\""));

    // ---- parsers ----
    public static Piece Json { get; } = new("| json", l =>
    {
        if (l.Record.Kind != LineKind.Json)
        {
            throw new InvalidOperationException("the table applies | json to JSON lines only");
        }

        if (l.Record.Malformed)
        {
            l.Labels[Error] = "JSONParserErr";
        }
        else
        {
            l.AddFields(l.Record.Fields);
        }

        return true;
    });

    /// <summary><c>| json label="field", …</c> (fields named by the dataset's flattened names; the text uses the JSON path).</summary>
    public static Piece JsonFields(params (string Label, string Path, string Field)[] fields) => new(
        "| json " + string.Join(", ", fields.Select(f => $"{f.Label}=\"{f.Path}\"")),
        l =>
        {
            if (l.Record.Malformed)
            {
                l.Labels[Error] = "JSONParserErr";
            }
            else
            {
                l.AddFields(fields.Select(f => KeyValuePair.Create(f.Label, l.Record.Fields[f.Field])));
            }

            return true;
        });

    public static Piece Logfmt { get; } = new("| logfmt", l =>
    {
        Assert.Equal(LineKind.Logfmt, l.Record.Kind);
        l.AddFields(l.Record.Fields);
        return true;
    });

    public static Piece LogfmtFields(params (string Label, string Key)[] fields) => new(
        "| logfmt " + string.Join(", ", fields.Select(f => f.Label == f.Key ? f.Label : $"{f.Label}=\"{f.Key}\"")),
        l =>
        {
            l.AddFields(fields.Where(f => l.Record.Fields.ContainsKey(f.Key)).Select(f => KeyValuePair.Create(f.Label, l.Record.Fields[f.Key])));
            return true;
        });

    public const string AccessPattern = "<ip> - - \\\"<method> <path> <_>\\\" <status> <size> <duration>";

    public static Piece Pattern { get; } = new($"| pattern \"{AccessPattern}\"", l =>
    {
        Assert.Equal(LineKind.Access, l.Record.Kind);
        l.AddFields(l.Record.Fields);
        return true;
    });

    public static Piece Regexp { get; } = new("| regexp `(?P<method>GET|POST|PUT|DELETE) (?P<path>[^ ]+)`", l =>
    {
        Assert.Equal(LineKind.Access, l.Record.Kind);
        l.AddFields(l.Record.Fields.Where(f => f.Key is "method" or "path"));
        return true;
    });

    // ---- label filters ----
    public static Piece Label(string text, Func<RefLine, bool> predicate) => new($"| {text}", predicate);

    public static Func<RefLine, bool> Is(string name, string value) => l => Get(l.Labels, name) == value;

    public static Func<RefLine, bool> IsNot(string name, string value) => l => Get(l.Labels, name) != value;

    public static Func<RefLine, bool> Like(string name, string pattern) => l => Full(pattern, Get(l.Labels, name));

    /// <summary>
    /// A numeric comparison as Loki does it (grafana/loki pkg/logql/log/label_filter.go, the
    /// Process of NumericLabelFilter, DurationLabelFilter and BytesLabelFilter): lines already in
    /// error pass; a line without the label is dropped; a value that does not convert passes with
    /// <c>__error__</c>.
    /// </summary>
    public static Func<RefLine, bool> Compare(string name, Func<double, bool> test, Func<string, double?> convert) => l =>
    {
        if (l.HasError)
        {
            return true;
        }

        if (!l.Labels.TryGetValue(name, out var text))
        {
            return false;
        }

        if (convert(text) is not { } value)
        {
            l.Labels[Error] = "LabelFilterErr";
            return true;
        }

        return test(value);
    };

    public static double? Number(string text) => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>Seconds of the dataset's durations: <c>12ms</c>, <c>2.5s</c>.</summary>
    public static double? Seconds(string text) =>
        text.EndsWith("ms", StringComparison.Ordinal) ? Number(text[..^2]) / 1000
        : text.EndsWith('s') ? Number(text[..^1])
        : null;

    /// <summary>Bytes of the dataset's sizes: <c>3KB</c> (SI) or a plain number.</summary>
    public static double? Bytes(string text) => text.EndsWith("KB", StringComparison.Ordinal) ? Number(text[..^2]) * 1000 : Number(text);

    // ---- formats ----
    public static Piece LineFormat(string template, Func<RefLine, string> render) => new($"| line_format \"{template}\"", l =>
    {
        l.Line = render(l);
        return true;
    });

    public static Piece LabelFormat(string text, Action<RefLine> apply) => new($"| label_format {text}", l =>
    {
        apply(l);
        return true;
    });

    public static Piece Keep(params string[] names) => new($"| keep {string.Join(", ", names)}", l =>
    {
        foreach (var name in l.Labels.Keys.Where(k => !names.Contains(k)).ToList())
        {
            l.Labels.Remove(name);
        }

        return true;
    });

    public static Piece Drop(params string[] names) => new($"| drop {string.Join(", ", names)}", l =>
    {
        foreach (var name in names)
        {
            l.Labels.Remove(name);
        }

        return true;
    });

    /// <summary><c>| unwrap</c>: the value of a label (converted), which leaves the labels; lines whose value does not convert give no sample.</summary>
    public static Piece Unwrap(string text, string name, Func<string, double?> convert) => new($"| unwrap {text}", l =>
    {
        var value = convert(Get(l.Labels, name));
        l.Labels.Remove(name);
        l.Value = value;
        return value is not null;
    });

    // ---- evaluation ----
    public static string Key(IReadOnlyDictionary<string, string> labels) =>
        "{" + string.Join(", ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";

    /// <summary>A log query's result: (stream key, µs, line) for the newest (or oldest) <paramref name="limit"/> lines in [start, end).</summary>
    public static List<(string Stream, long Micros, string Line)> Logs(IEnumerable<LogRecordSpec> records, Piece query, long start, long end, int limit, bool forward)
    {
        var lines = records.Where(r => r.Micros >= start && r.Micros < end).Select(r => new RefLine(r)).Where(query.Apply);
        lines = forward ? lines.OrderBy(l => l.Record.Micros) : lines.OrderByDescending(l => l.Record.Micros);
        return [.. lines.Take(limit).Select(l => (Key(l.Labels), l.Record.Micros, l.Line))];
    }

    /// <summary>A series set: labels key → (evaluation time µs → value).</summary>
    public sealed class Matrix : Dictionary<string, SortedDictionary<long, double>>
    {
        public Dictionary<string, Dictionary<string, string>> LabelsOf { get; } = [];

        public void Set(Dictionary<string, string> labels, long time, double value)
        {
            var key = Key(labels);
            if (!TryGetValue(key, out var series))
            {
                this[key] = series = [];
                LabelsOf[key] = labels;
            }

            series[time] = value;
        }
    }

    /// <summary>The evaluation times of a range query: start, start + step, … up to end.</summary>
    public static IEnumerable<long> Steps(long start, long end, long step)
    {
        for (var t = start; t <= end; t += step)
        {
            yield return t;
        }
    }

    /// <summary>A range aggregation by brute force: at each time t, the lines in (t - offset - range, t - offset].</summary>
    public static Matrix Range(IEnumerable<LogRecordSpec> records, string op, Piece query, long range, long offset, IEnumerable<long> times, double? parameter = null, Func<Dictionary<string, string>, Dictionary<string, string>>? grouping = null)
    {
        var lines = records.Select(r => new RefLine(r)).Where(query.Apply).ToList();
        var result = new Matrix();
        foreach (var t in times)
        {
            var window = lines.Where(l => l.Record.Micros > t - offset - range && l.Record.Micros <= t - offset).ToList();
            if (op == "absent_over_time")
            {
                if (window.Count == 0)
                {
                    result.Set([], t, 1);
                }

                continue;
            }

            foreach (var series in window.GroupBy(l => Key(grouping is null ? l.Labels : grouping(l.Labels))))
            {
                var members = series.ToList();
                var seconds = range / 1e6;
                var bytes = members.Sum(l => (double)System.Text.Encoding.UTF8.GetByteCount(l.Line));
                var values = members.Select(l => l.Value ?? 0).ToList();
                var value = op switch
                {
                    "count_over_time" => members.Count,
                    "rate" => members.Count / seconds,
                    "bytes_over_time" => bytes,
                    "bytes_rate" => bytes / seconds,
                    "sum_over_time" => values.Sum(),
                    "avg_over_time" => values.Average(),
                    "min_over_time" => values.Min(),
                    "max_over_time" => values.Max(),
                    "quantile_over_time" => Quantile(parameter!.Value, values),
                    _ => throw new InvalidOperationException(op),
                };
                var labels = grouping is null ? members[0].Labels : grouping(members[0].Labels);
                result.Set(labels, t, value);
            }
        }

        return result;
    }

    private static double Quantile(double phi, List<double> values)
    {
        var sorted = values.Order().ToList();
        var rank = phi * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary><c>sum|avg|min|max|count by/without (…)</c> at each time.</summary>
    public static Matrix Aggregate(Matrix input, string op, Func<Dictionary<string, string>, Dictionary<string, string>> group)
    {
        var result = new Matrix();
        var times = input.Values.SelectMany(s => s.Keys).Distinct();
        foreach (var t in times)
        {
            var present = input.Where(s => s.Value.ContainsKey(t)).Select(s => (Labels: group(input.LabelsOf[s.Key]), Value: s.Value[t]));
            foreach (var g in present.GroupBy(p => Key(p.Labels)))
            {
                var values = g.Select(p => p.Value).ToList();
                result.Set(g.First().Labels, t, op switch
                {
                    "sum" => values.Sum(),
                    "avg" => values.Average(),
                    "min" => values.Min(),
                    "max" => values.Max(),
                    _ => values.Count,
                });
            }
        }

        return result;
    }

    /// <summary><c>topk</c>/<c>bottomk</c> without grouping: at each time the k highest (lowest) series keep their value.</summary>
    public static Matrix Top(Matrix input, int k, bool highest)
    {
        var result = new Matrix();
        foreach (var t in input.Values.SelectMany(s => s.Keys).Distinct())
        {
            var present = input.Where(s => s.Value.ContainsKey(t)).Select(s => (s.Key, Value: s.Value[t]));
            foreach (var (key, value) in (highest ? present.OrderByDescending(p => p.Value) : present.OrderBy(p => p.Value)).Take(k))
            {
                result.Set(input.LabelsOf[key], t, value);
            }
        }

        return result;
    }

    /// <summary>Applies <paramref name="f"/> to every value; null drops the point.</summary>
    public static Matrix Map(Matrix input, Func<double, double?> f)
    {
        var result = new Matrix();
        foreach (var (key, series) in input)
        {
            foreach (var (t, v) in series)
            {
                if (f(v) is { } mapped)
                {
                    result.Set(input.LabelsOf[key], t, mapped);
                }
            }
        }

        return result;
    }

    /// <summary>Pairs series with equal labels; null drops the point.</summary>
    public static Matrix Join(Matrix left, Matrix right, Func<double, double, double?> f)
    {
        var result = new Matrix();
        foreach (var (key, series) in left)
        {
            if (!right.TryGetValue(key, out var other))
            {
                continue;
            }

            foreach (var (t, v) in series)
            {
                if (other.TryGetValue(t, out var w) && f(v, w) is { } value)
                {
                    result.Set(left.LabelsOf[key], t, value);
                }
            }
        }

        return result;
    }

    public static Matrix Constant(IEnumerable<long> times, double value)
    {
        var result = new Matrix();
        foreach (var t in times)
        {
            result.Set([], t, value);
        }

        return result;
    }

    public static Func<Dictionary<string, string>, Dictionary<string, string>> By(params string[] names) =>
        labels => labels.Where(l => names.Contains(l.Key)).ToDictionary(l => l.Key, l => l.Value);

    public static Func<Dictionary<string, string>, Dictionary<string, string>> Without(params string[] names) =>
        labels => labels.Where(l => !names.Contains(l.Key)).ToDictionary(l => l.Key, l => l.Value);
}
