using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IceGate.QueryApi.LogQL;

/// <summary>One log line on its way through a pipeline: its text and labels change stage by stage.</summary>
internal sealed class LogLine(long timestampMicros, string line, Dictionary<string, string> labels)
{
    /// <summary>When it was logged (µs).</summary>
    public long TimestampMicros { get; } = timestampMicros;

    /// <summary>The line as the stages so far left it.</summary>
    public string Line { get; set; } = line;

    /// <summary>Stream labels, then extracted ones.</summary>
    public Dictionary<string, string> Labels { get; } = labels;

    /// <summary>The labels it came with, which extracted keys must not overwrite.</summary>
    public HashSet<string> StreamLabels { get; } = [.. labels.Keys];

    /// <summary>The unwrapped sample value, once an unwrap stage ran.</summary>
    public double? Value { get; set; }

    /// <summary>Whether a parser or filter failed on this line (the <c>__error__</c> label).</summary>
    public bool HasError => Labels.ContainsKey(LogPipeline.ErrorLabel);

    /// <summary>Sets an extracted label; a key that is a stream label gets the suffix <c>_extracted</c>.</summary>
    public void Extract(string key, string value) => Labels[StreamLabels.Contains(key) ? key + "_extracted" : key] = value;
}

/// <summary>
/// The stages of a LogQL pipeline that run in .NET over lines DuckDB selected: parsers, label
/// filters, formatting, drop/keep and unwrap (and line filters that come after any of those).
/// Semantics follow Loki's: a parser failure sets <c>__error__</c> and keeps the line; label
/// filters on numbers, durations and bytes drop a line without the label and let one whose value
/// does not convert through with <c>__error__</c> set; lines already in error pass every filter
/// but a string matcher.
/// </summary>
internal sealed partial class LogPipeline
{
    /// <summary>The label a failed parser or conversion sets.</summary>
    public const string ErrorLabel = "__error__";

    private readonly List<Func<LogLine, bool>> _stages;

    /// <summary>Compiles <paramref name="stages"/>.</summary>
    public LogPipeline(IEnumerable<PipelineStage> stages) => _stages = [.. stages.Select(Compile)];

    /// <summary>Whether there is anything to run.</summary>
    public bool IsEmpty => _stages.Count == 0;

    /// <summary>Runs every stage; false when one drops the line.</summary>
    public bool Process(LogLine line)
    {
        foreach (var stage in _stages)
        {
            if (!stage(line))
            {
                return false;
            }
        }

        return true;
    }

    private static Func<LogLine, bool> Compile(PipelineStage stage)
    {
        switch (stage)
        {
            case LineFilter filter:
                {
                    var regexes = filter.IsRegex ? filter.Values.Select(v => Regexes.Compile(v, anchored: false)).ToList() : null;
                    return line =>
                    {
                        var any = regexes is null
                            ? filter.Values.Any(v => line.Line.Contains(v, StringComparison.Ordinal))
                            : regexes.Any(r => r.IsMatch(line.Line));
                        return any != filter.Negated;
                    };
                }

            case JsonStage json:
                return line =>
                {
                    ParseJson(line, json.Fields);
                    return true;
                };
            case LogfmtStage logfmt:
                return line =>
                {
                    ParseLogfmt(line, logfmt.Fields);
                    return true;
                };
            case PatternStage pattern:
                {
                    var compiled = Pattern.Compile(pattern.Pattern);
                    return line =>
                    {
                        foreach (var (name, value) in compiled.Match(line.Line) ?? [])
                        {
                            line.Extract(name, value);
                        }

                        return true;
                    };
                }

            case RegexpStage regexp:
                {
                    var regex = Regexes.Compile(regexp.Pattern, anchored: false);
                    var names = regex.GetGroupNames().Where(n => !int.TryParse(n, out _)).ToArray();
                    return line =>
                    {
                        var match = regex.Match(line.Line);
                        if (match.Success)
                        {
                            foreach (var name in names)
                            {
                                line.Extract(name, match.Groups[name].Value);
                            }
                        }

                        return true;
                    };
                }

            case LabelFilterStage filter:
                return CompilePredicate(filter.Predicate);

            case LineFormatStage format:
                {
                    var template = Template.Compile(format.Template);
                    return line =>
                    {
                        line.Line = template.Render(line.Labels, line.Line, line.TimestampMicros);
                        return true;
                    };
                }

            case LabelFormatStage format:
                {
                    var assignments = format.Assignments.Select(a => (a.Label, a.Source, Template: a.Template is null ? null : Template.Compile(a.Template))).ToList();
                    return line =>
                    {
                        var values = assignments.Select(a => a.Template?.Render(line.Labels, line.Line, line.TimestampMicros) ?? line.Labels.GetValueOrDefault(a.Source!, "")).ToList();
                        foreach (var (assignment, value) in assignments.Zip(values))
                        {
                            if (assignment.Source is { } source && source != assignment.Label)
                            {
                                line.Labels.Remove(source);
                            }

                            line.Labels[assignment.Label] = value;
                        }

                        return true;
                    };
                }

            case DropKeepStage dropKeep:
                {
                    var matchers = dropKeep.Labels.Select(m => m is null ? null : CompileMatcher(m)).ToList();
                    return line =>
                    {
                        bool Listed(string name, string value)
                        {
                            for (var i = 0; i < dropKeep.Names.Count; i++)
                            {
                                if (dropKeep.Names[i] == name && (matchers[i] is null || matchers[i]!(value)))
                                {
                                    return true;
                                }
                            }

                            return false;
                        }

                        foreach (var (name, value) in line.Labels.ToList())
                        {
                            if (Listed(name, value) != dropKeep.Keep)
                            {
                                line.Labels.Remove(name);
                            }
                        }

                        return true;
                    };
                }

            case UnwrapStage unwrap:
                return line =>
                {
                    var text = line.Labels.GetValueOrDefault(unwrap.Label, "");
                    line.Labels.Remove(unwrap.Label);
                    double value;
                    var converted = unwrap.Conversion switch
                    {
                        "duration" => Units.TryDuration(text.Trim(), out value) || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value),
                        "bytes" => Units.TryBytes(text, out value),
                        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value),
                    };

                    // A sample whose value does not convert is left out (Loki fails the query unless
                    // a filter drops such lines; leaving it out is what such a filter would give).
                    line.Value = converted ? value : null;
                    return converted;
                };
            default:
                throw new InvalidOperationException($"Unknown stage {stage}.");
        }
    }

    private static Func<LogLine, bool> CompilePredicate(LabelPredicate predicate)
    {
        switch (predicate)
        {
            case LabelAnd and:
                {
                    var left = CompilePredicate(and.Left);
                    var right = CompilePredicate(and.Right);
                    return line => left(line) && right(line);
                }

            case LabelOr or:
                {
                    var left = CompilePredicate(or.Left);
                    var right = CompilePredicate(or.Right);
                    return line => left(line) || right(line);
                }

            case LabelStringMatch match:
                {
                    var matcher = CompileMatcher(match.Matcher);
                    return line => matcher(line.Labels.GetValueOrDefault(match.Matcher.Name, ""));
                }

            case LabelCompare compare:
                return line =>
                {
                    if (line.HasError)
                    {
                        return true;
                    }

                    // As Loki: a line without the label is dropped; one whose value does not convert is kept, in error.
                    if (!line.Labels.TryGetValue(compare.Name, out var text))
                    {
                        return false;
                    }

                    double value;
                    var converted = compare.Kind switch
                    {
                        ValueKind.Duration => Units.TryDuration(text.Trim(), out value),
                        ValueKind.Bytes => Units.TryBytes(text, out value),
                        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value),
                    };
                    if (!converted)
                    {
                        line.Labels[ErrorLabel] = "LabelFilterErr";
                        return true;
                    }

                    return compare.Op switch
                    {
                        "==" => value == compare.Value,
                        "!=" => value != compare.Value,
                        ">" => value > compare.Value,
                        ">=" => value >= compare.Value,
                        "<" => value < compare.Value,
                        _ => value <= compare.Value,
                    };
                };
            default:
                throw new InvalidOperationException($"Unknown label predicate {predicate}.");
        }
    }

    /// <summary>A label matcher as a test of the label's value (a missing label's value is empty).</summary>
    public static Func<string, bool> CompileMatcher(LabelMatcher matcher)
    {
        switch (matcher.Op)
        {
            case MatchOp.Equal:
                return value => value == matcher.Value;
            case MatchOp.NotEqual:
                return value => value != matcher.Value;
            default:
                {
                    var regex = Regexes.Compile(matcher.Value, anchored: true);
                    var negated = matcher.Op == MatchOp.NotRegex;
                    return value => regex.IsMatch(value) != negated;
                }
        }
    }

    private static void ParseJson(LogLine line, IReadOnlyList<(string Label, string Path)> fields)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.Line);
        }
        catch (JsonException)
        {
            line.Labels[ErrorLabel] = "JSONParserErr";
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                line.Labels[ErrorLabel] = "JSONParserErr";
                return;
            }

            if (fields.Count == 0)
            {
                Flatten(line, document.RootElement, "");
                return;
            }

            foreach (var (label, path) in fields)
            {
                line.Extract(label, Select(document.RootElement, path) is { } value ? Text(value) ?? "" : "");
            }
        }
    }

    private static void Flatten(LogLine line, JsonElement element, string prefix)
    {
        foreach (var property in element.EnumerateObject())
        {
            var key = prefix + Sanitize(property.Name);
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Flatten(line, property.Value, key + "_");
            }
            else if (Text(property.Value) is { } value)
            {
                line.Extract(key, value);
            }
        }
    }

    /// <summary>A JSON value as a label value: strings unquoted, numbers and booleans as written; arrays and nulls give none.</summary>
    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Object => value.GetRawText(),
        _ => null,
    };

    /// <summary>Follows a path like <c>a.b[0]</c> or <c>a["b c"]</c>.</summary>
    private static JsonElement? Select(JsonElement root, string path)
    {
        var current = root;
        foreach (Match step in PathStep().Matches(path))
        {
            if (step.Groups["index"].Success)
            {
                var index = int.Parse(step.Groups["index"].Value, CultureInfo.InvariantCulture);
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[index];
            }
            else
            {
                var name = step.Groups["quoted"].Success ? step.Groups["quoted"].Value : step.Groups["name"].Value;
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                {
                    return null;
                }
            }
        }

        return current;
    }

    private static void ParseLogfmt(LogLine line, IReadOnlyList<(string Label, string Key)> fields)
    {
        var pairs = new List<(string Key, string Value)>();
        var text = line.Line;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && text[i] <= ' ')
            {
                i++;
            }

            var start = i;
            while (i < text.Length && text[i] > ' ' && text[i] != '=' && text[i] != '"')
            {
                i++;
            }

            var key = text[start..i];
            if (key.Length == 0)
            {
                if (i < text.Length)
                {
                    line.Labels[ErrorLabel] = "LogfmtParserErr";
                    return;
                }

                break;
            }

            var value = "";
            if (i < text.Length && text[i] == '=')
            {
                i++;
                if (i < text.Length && text[i] == '"')
                {
                    var quoted = new StringBuilder();
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                            quoted.Append(text[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var c => c });
                        }
                        else
                        {
                            quoted.Append(text[i]);
                        }

                        i++;
                    }

                    if (i >= text.Length)
                    {
                        line.Labels[ErrorLabel] = "LogfmtParserErr";
                        return;
                    }

                    i++;
                    value = quoted.ToString();
                }
                else
                {
                    start = i;
                    while (i < text.Length && text[i] > ' ')
                    {
                        i++;
                    }

                    value = text[start..i];
                }
            }

            pairs.Add((key, value));
        }

        if (fields.Count == 0)
        {
            pairs.ForEach(p => line.Extract(Sanitize(p.Key), p.Value));
            return;
        }

        foreach (var (label, key) in fields)
        {
            var found = pairs.FindLast(p => p.Key == key);
            if (found.Key is not null)
            {
                line.Extract(label, found.Value);
            }
        }
    }

    /// <summary>A key as a label name: characters other than letters, digits and _ become _, and a leading digit gets a _ before it.</summary>
    public static string Sanitize(string key)
    {
        var name = InvalidLabelCharacter().Replace(key, "_");
        return name.Length > 0 && char.IsAsciiDigit(name[0]) ? "_" + name : name;
    }

    [GeneratedRegex(@"\.?(?:(?<name>[^.\[\]]+)|\[(?<index>\d+)\]|\[""(?<quoted>[^""]*)""\])")]
    private static partial Regex PathStep();

    [GeneratedRegex("[^a-zA-Z0-9_]")]
    private static partial Regex InvalidLabelCharacter();
}
