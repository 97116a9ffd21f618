using System.Globalization;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// How the logs table looks as Loki streams. A stream's labels are <c>service_name</c>,
/// <c>level</c> and <c>detected_level</c> (both from the severity), and the promoted resource
/// attributes with dots shown as underscores: <c>service.namespace</c>,
/// <c>deployment.environment</c>, <c>host.name</c>, every <c>k8s.*</c>, and every key without a dot
/// (Loki push stores stream labels as such keys; OpenTelemetry's own keys are all dotted).
/// This class writes those labels as SQL and reads them back from rows.
/// </summary>
internal static class LogLabels
{
    /// <summary>The columns that identify a row's stream, selected by every query that needs stream labels.</summary>
    public const string StreamColumns = $"service_name, {LevelSql} AS level, resource_attributes";

    /// <summary>The level from the severity number, else the severity text, else <c>unknown</c>.</summary>
    public const string LevelSql = """
        CASE WHEN severity_number BETWEEN 1 AND 4 THEN 'trace' WHEN severity_number BETWEEN 5 AND 8 THEN 'debug'
        WHEN severity_number BETWEEN 9 AND 12 THEN 'info' WHEN severity_number BETWEEN 13 AND 16 THEN 'warn'
        WHEN severity_number BETWEEN 17 AND 20 THEN 'error' WHEN severity_number BETWEEN 21 AND 24 THEN 'fatal'
        ELSE coalesce(nullif(lower(severity_text), ''), 'unknown') END
        """;

    private static readonly string[] s_promotedDotted = ["service.namespace", "deployment.environment", "host.name"];

    /// <summary>Whether a resource attribute key is a stream label.</summary>
    public static bool IsPromoted(string key) =>
        !key.Contains('.', StringComparison.Ordinal) ? key is not ("service_name" or "level" or "detected_level") : key.StartsWith("k8s.", StringComparison.Ordinal) || s_promotedDotted.Contains(key);

    /// <summary>A promoted key's label name.</summary>
    public static string LabelName(string key) => LogPipeline.Sanitize(key.Replace('.', '_'));

    /// <summary>The SQL value of a label (NULL when a row does not have it).</summary>
    public static string Sql(string label)
    {
        switch (label)
        {
            case "service_name":
                return "service_name";
            case "level" or "detected_level":
                return $"({LevelSql})";
            default:
                // A label is a key without dots (pushed) or, for the promoted dotted keys, the dotted
                // form, which OpenTelemetry data has: it comes first.
                var dotted = label.Replace('_', '.');
                var candidates = new List<string>();
                if (dotted != label && IsPromoted(dotted))
                {
                    candidates.Add(dotted);
                }

                candidates.Add(label);

                return candidates.Count == 1 ? $"resource_attributes[{Literal(label)}]" : $"coalesce({string.Join(", ", candidates.Select(c => $"resource_attributes[{Literal(c)}]"))})";
        }
    }

    /// <summary>A stream matcher as a SQL condition (a missing label matches as the empty string).</summary>
    public static string Condition(LabelMatcher matcher)
    {
        var value = Sql(matcher.Name);
        return matcher.Op switch
        {
            // A plain equality on a column lets the planner prune files by the column's bounds.
            MatchOp.Equal when matcher.Value.Length > 0 => $"{value} = {Literal(matcher.Value)}",
            MatchOp.Equal => $"coalesce({value}, '') = ''",
            MatchOp.NotEqual => $"coalesce({value}, '') <> {Literal(matcher.Value)}",
            MatchOp.Regex => $"regexp_full_match(coalesce({value}, ''), {Literal(matcher.Value)})",
            _ => $"NOT regexp_full_match(coalesce({value}, ''), {Literal(matcher.Value)})",
        };
    }

    /// <summary>A line filter as a SQL condition on the body.</summary>
    public static string Condition(LineFilter filter)
    {
        var tests = filter.Values.Select(v => filter.IsRegex ? $"regexp_matches(coalesce(body, ''), {Literal(v)})" : $"contains(coalesce(body, ''), {Literal(v)})");
        var any = $"({string.Join(" OR ", tests)})";
        return filter.Negated ? $"NOT {any}" : any;
    }

    /// <summary>
    /// A timestamp literal the SQL analyzer can prune files by. Window arithmetic (a range and an
    /// offset before the first step) may reach past year 1, where no row can be: clamped.
    /// </summary>
    public static string Timestamp(long micros) =>
        $"TIMESTAMP '{DateTime.UnixEpoch.AddTicks(Math.Clamp(micros, UnixMicros.MinValue, UnixMicros.MaxValue) * 10).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}'";

    /// <summary>The stream labels of a row read with <see cref="StreamColumns"/>.</summary>
    public static Dictionary<string, string> FromRow(object? serviceName, object? level, object? resourceAttributes)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (resourceAttributes is Dictionary<object, object?> attributes)
        {
            foreach (var (key, value) in attributes)
            {
                if (key is string name && value is string text && IsPromoted(name))
                {
                    labels[LabelName(name)] = text;
                }
            }
        }

        if (serviceName is string { Length: > 0 } service)
        {
            labels["service_name"] = service;
        }

        if (level is string levelText)
        {
            labels["level"] = levelText;
            labels["detected_level"] = levelText;
        }

        return labels;
    }

    /// <summary>A SQL string literal.</summary>
    public static string Literal(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";
}
