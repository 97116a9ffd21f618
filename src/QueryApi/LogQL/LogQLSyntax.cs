namespace IceGate.QueryApi.LogQL;

/// <summary>A LogQL expression: a log query (selector and pipeline) or a metric expression.</summary>
public abstract record LogQLExpr;

/// <summary>How a label matcher compares.</summary>
public enum MatchOp
{
    /// <summary><c>=</c></summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>=~</c> (fully anchored)</summary>
    Regex,

    /// <summary><c>!~</c> (fully anchored)</summary>
    NotRegex,
}

/// <summary>A label matcher: <c>name op "value"</c>.</summary>
public sealed record LabelMatcher(string Name, MatchOp Op, string Value);

/// <summary>A log query: a stream selector and the pipeline its lines go through.</summary>
public sealed record LogQuery(IReadOnlyList<LabelMatcher> Matchers, IReadOnlyList<PipelineStage> Pipeline) : LogQLExpr;

/// <summary>A stage of a log pipeline.</summary>
public abstract record PipelineStage;

/// <summary><c>|= "a" or "b"</c>, <c>!= "a"</c>, <c>|~ "re"</c>, <c>!~ "re"</c>: keeps lines containing (or matching) any of the values, or none for the negated forms.</summary>
public sealed record LineFilter(bool Negated, bool IsRegex, IReadOnlyList<string> Values) : PipelineStage;

/// <summary><c>| json</c> (every key, flattened) or <c>| json a="x.y[0]", b</c> (only those).</summary>
public sealed record JsonStage(IReadOnlyList<(string Label, string Path)> Fields) : PipelineStage;

/// <summary><c>| logfmt</c> (every key) or <c>| logfmt a="key", b</c> (only those).</summary>
public sealed record LogfmtStage(IReadOnlyList<(string Label, string Key)> Fields) : PipelineStage;

/// <summary><c>| pattern "&lt;ip&gt; - &lt;_&gt; …"</c>.</summary>
public sealed record PatternStage(string Pattern) : PipelineStage;

/// <summary><c>| regexp "(?P&lt;name&gt;…)"</c>.</summary>
public sealed record RegexpStage(string Pattern) : PipelineStage;

/// <summary><c>| status >= 500 and method = "GET"</c>.</summary>
public sealed record LabelFilterStage(LabelPredicate Predicate) : PipelineStage;

/// <summary><c>| line_format "{{.a}} …"</c>.</summary>
public sealed record LineFormatStage(string Template) : PipelineStage;

/// <summary><c>| label_format new=old, other="{{.a}}"</c>: renames (Source) or templates (Template).</summary>
public sealed record LabelFormatStage(IReadOnlyList<(string Label, string? Source, string? Template)> Assignments) : PipelineStage;

/// <summary><c>| drop a, b="x"</c> or <c>| keep a, b</c>: names, or matchers that drop/keep only labels with such values.</summary>
public sealed record DropKeepStage(bool Keep, IReadOnlyList<LabelMatcher?> Labels, IReadOnlyList<string> Names) : PipelineStage;

/// <summary><c>| unwrap x</c>, <c>| unwrap duration(x)</c>, <c>| unwrap bytes(x)</c>: the sample value of a range aggregation.</summary>
public sealed record UnwrapStage(string Label, string? Conversion) : PipelineStage;

/// <summary>A label filter expression.</summary>
public abstract record LabelPredicate;

/// <summary>Both must hold.</summary>
public sealed record LabelAnd(LabelPredicate Left, LabelPredicate Right) : LabelPredicate;

/// <summary>Either must hold.</summary>
public sealed record LabelOr(LabelPredicate Left, LabelPredicate Right) : LabelPredicate;

/// <summary>A string matcher on an (extracted or stream) label.</summary>
public sealed record LabelStringMatch(LabelMatcher Matcher) : LabelPredicate;

/// <summary>What a numeric label filter compares: plain numbers, durations (in seconds) or bytes.</summary>
public enum ValueKind
{
    /// <summary>A plain number.</summary>
    Number,

    /// <summary>A duration such as <c>10s</c>, compared in seconds.</summary>
    Duration,

    /// <summary>A size such as <c>20MB</c>, compared in bytes.</summary>
    Bytes,
}

/// <summary><c>name op value</c> with <c>== != &gt; &gt;= &lt; &lt;=</c>.</summary>
public sealed record LabelCompare(string Name, string Op, double Value, ValueKind Kind) : LabelPredicate;

/// <summary><c>by (…)</c> or <c>without (…)</c>.</summary>
public sealed record Grouping(bool Without, IReadOnlyList<string> Labels);

/// <summary>A range aggregation such as <c>count_over_time({…} |= "x" [5m] offset 1m)</c>.</summary>
public sealed record RangeAggregation(string Op, LogQuery Query, long RangeMicros, long OffsetMicros, double? Parameter, Grouping? Grouping) : LogQLExpr
{
    /// <summary>The unwrap stage, for aggregations over label values.</summary>
    public UnwrapStage? Unwrap => Query.Pipeline.OfType<UnwrapStage>().FirstOrDefault();
}

/// <summary>A vector aggregation such as <c>sum by (a) (…)</c> or <c>topk(3, …)</c>.</summary>
public sealed record VectorAggregation(string Op, Grouping? Grouping, double? Parameter, LogQLExpr Inner) : LogQLExpr;

/// <summary><c>left op right</c>; comparisons filter unless <paramref name="ReturnBool"/>.</summary>
public sealed record BinaryExpr(string Op, bool ReturnBool, LogQLExpr Left, LogQLExpr Right) : LogQLExpr;

/// <summary>A number.</summary>
public sealed record ScalarLiteral(double Value) : LogQLExpr;

/// <summary><c>vector(s)</c>: one series without labels.</summary>
public sealed record VectorLiteral(double Value) : LogQLExpr;
