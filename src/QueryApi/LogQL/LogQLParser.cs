using System.Globalization;
using System.Text;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// Parses LogQL into <see cref="LogQLExpr"/>. Syntax errors name the column (1-based) like Loki's
/// <c>parse error at line 1, col 15: …</c>; constructs IceGate does not run are refused by name.
/// </summary>
public sealed class LogQLParser
{
    private static readonly HashSet<string> s_rangeOps = ["rate", "count_over_time", "bytes_rate", "bytes_over_time", "absent_over_time", "sum_over_time", "avg_over_time", "min_over_time", "max_over_time", "quantile_over_time"];
    private static readonly HashSet<string> s_unwrapOps = ["sum_over_time", "avg_over_time", "min_over_time", "max_over_time", "quantile_over_time"];
    private static readonly HashSet<string> s_vectorOps = ["sum", "avg", "min", "max", "count", "topk", "bottomk"];
    private static readonly HashSet<string> s_unsupported = ["stddev", "stdvar", "count_values", "sort", "sort_desc", "label_replace", "stddev_over_time", "stdvar_over_time", "first_over_time", "last_over_time", "rate_counter", "absent", "unpack", "decolorize", "distinct", "approx_topk"];

    // Binary operators by precedence, loosest first (as in PromQL); ^ binds right.
    private static readonly string[][] s_binaryLevels = [["or"], ["and", "unless"], ["==", "!=", ">", ">=", "<", "<="], ["+", "-"], ["*", "/", "%"], ["^"]];

    /// <summary>
    /// The deepest nesting of parentheses, aggregations and unary signs a query may have. Parsing
    /// and evaluation recurse once per level, and a stack overflow ends the whole process (ingest
    /// with it), so input must not decide the depth; real queries nest a handful of levels.
    /// </summary>
    public const int MaxNesting = 64;

    /// <summary>
    /// The most binary operators a query may have: a chain of them is a tree as deep as it is long,
    /// which the evaluator walks recursively.
    /// </summary>
    public const int MaxBinaryOperators = 256;

    private readonly string _text;
    private readonly List<Token> _tokens;
    private int _next;
    private int _nesting;
    private int _binaryOperators;

    private LogQLParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    /// <summary>Parses <paramref name="query"/>; throws <see cref="QueryException"/> (400) for what is wrong or unsupported.</summary>
    public static LogQLExpr Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (string.IsNullOrWhiteSpace(query))
        {
            throw new QueryException(400, "parse error: the query is empty");
        }

        var parser = new LogQLParser(query);
        var expr = parser.Expression(0);
        if (parser.Peek.Kind != TokenKind.End)
        {
            throw parser.Error(parser.Peek, $"unexpected {parser.Peek.Describe()}");
        }

        return expr;
    }

    /// <summary>Parses a stream selector alone (the <c>match[]</c> and <c>query</c> of the label and series endpoints).</summary>
    public static IReadOnlyList<LabelMatcher> ParseSelector(string selector)
    {
        var expr = Parse(selector);
        return expr is LogQuery { Pipeline.Count: 0 } query ? query.Matchers : throw new QueryException(400, $"parse error: expected a stream selector such as {{app=\"x\"}}, got '{selector}'");
    }

    private Token Peek => _tokens[_next];

    private Token Take() => _tokens[_next++];

    private bool TryTake(TokenKind kind, string? text = null)
    {
        if (Peek.Kind == kind && (text is null || Peek.Text == text))
        {
            _next++;
            return true;
        }

        return false;
    }

    private Token Expect(TokenKind kind, string? text = null)
    {
        var token = Peek;
        return TryTake(kind, text) ? token : throw Error(token, $"unexpected {token.Describe()}, expecting {text ?? kind.ToString().ToLowerInvariant()}");
    }

    private QueryException Error(Token at, string message) => SyntaxError(_text, at.Position, $"syntax error: {message}");

    /// <summary>A parse error at a character of the query, with Loki's line and column (both 1-based).</summary>
    private static QueryException SyntaxError(string text, int position, string message)
    {
        var lineStart = position == 0 ? 0 : text.LastIndexOf('\n', position - 1) + 1;
        var line = 1 + text.AsSpan(0, position).Count('\n');
        return new QueryException(400, $"parse error at line {line}, col {position - lineStart + 1}: {message}");
    }

    private static QueryException Unsupported(string construct) => new(400, $"unsupported LogQL: {construct} is not supported by IceGate");

    /// <summary>A whole expression: one level of nesting deeper than where it stands.</summary>
    private LogQLExpr NestedExpression()
    {
        Enter();
        var expr = Expression(0);
        _nesting--;
        return expr;
    }

    /// <summary>Counts one level of nesting, refusing the query past <see cref="MaxNesting"/>.</summary>
    private void Enter()
    {
        if (++_nesting > MaxNesting)
        {
            throw Error(Peek, $"the query nests deeper than {MaxNesting} levels (parentheses, aggregations, signs), the most IceGate accepts");
        }
    }

    /// <summary>Counts a binary operator (arithmetic, comparison, set, or between label filters), refusing the query past <see cref="MaxBinaryOperators"/>.</summary>
    private void CountBinaryOperator()
    {
        if (++_binaryOperators > MaxBinaryOperators)
        {
            throw Error(Peek, $"the query has more than {MaxBinaryOperators} binary operators, the most IceGate accepts");
        }
    }

    private LogQLExpr Expression(int level)
    {
        if (level == s_binaryLevels.Length)
        {
            return Unary();
        }

        var left = Expression(level + 1);
        while (IsBinaryOp(Peek, s_binaryLevels[level]))
        {
            CountBinaryOperator();
            var op = Take().Text;
            var returnBool = TryTake(TokenKind.Identifier, "bool");
            if (Peek.Kind == TokenKind.Identifier && Peek.Text is "on" or "ignoring" or "group_left" or "group_right")
            {
                throw Unsupported($"vector matching with '{Peek.Text}'");
            }

            // ^ is right-associative: its right side may itself be a chain of ^.
            var right = op == "^" ? Expression(level) : Expression(level + 1);
            left = new BinaryExpr(op, returnBool, left, right);
            if (op == "^")
            {
                break;
            }
        }

        return left;
    }

    private static bool IsBinaryOp(Token token, string[] ops) =>
        (token.Kind == TokenKind.Symbol || token.Kind == TokenKind.Identifier) && ops.Contains(token.Text);

    private LogQLExpr Unary()
    {
        if (Peek.Kind == TokenKind.Symbol && Peek.Text is "-" or "+")
        {
            var sign = Take().Text == "-" ? -1 : 1;
            Enter();
            var operand = Unary();
            _nesting--;
            return operand is ScalarLiteral s ? new ScalarLiteral(sign * s.Value) : sign == 1 ? operand : new BinaryExpr("*", false, new ScalarLiteral(-1), operand);
        }

        return Primary();
    }

    private LogQLExpr Primary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Take();
                return new ScalarLiteral(Number(token));
            case TokenKind.Symbol when token.Text == "(":
                {
                    Take();
                    var inner = NestedExpression();
                    Expect(TokenKind.Symbol, ")");
                    if (inner is LogQuery && Peek.Kind == TokenKind.Symbol && Peek.Text == "[")
                    {
                        throw Error(Peek, "a range must follow the selector inside a range aggregation such as count_over_time(…)");
                    }

                    return inner;
                }

            case TokenKind.Symbol when token.Text == "{":
                return LogQueryExpr();
            case TokenKind.Identifier when token.Text == "vector":
                {
                    Take();
                    Expect(TokenKind.Symbol, "(");
                    var value = Number(Expect(TokenKind.Number));
                    Expect(TokenKind.Symbol, ")");
                    return new VectorLiteral(value);
                }

            case TokenKind.Identifier when s_rangeOps.Contains(token.Text):
                return RangeAggregationExpr();
            case TokenKind.Identifier when s_vectorOps.Contains(token.Text):
                return VectorAggregationExpr();
            case TokenKind.Identifier when s_unsupported.Contains(token.Text):
                throw Unsupported($"'{token.Text}'");
            default:
                throw Error(token, $"unexpected {token.Describe()}");
        }
    }

    private VectorAggregation VectorAggregationExpr()
    {
        var op = Take().Text;
        var grouping = TryGrouping();
        Expect(TokenKind.Symbol, "(");
        double? parameter = null;
        if (op is "topk" or "bottomk")
        {
            var k = Expect(TokenKind.Number);
            parameter = Number(k);
            if (parameter < 1 || parameter != Math.Floor(parameter.Value))
            {
                throw Error(k, $"{op} needs a whole number of series of at least 1");
            }

            Expect(TokenKind.Symbol, ",");
        }

        var inner = NestedExpression();
        Expect(TokenKind.Symbol, ")");
        grouping ??= TryGrouping();
        if (inner is LogQuery)
        {
            throw new QueryException(400, $"parse error: {op} needs a metric expression such as count_over_time({{…}}[5m]), not a log query");
        }

        return new VectorAggregation(op, grouping, parameter, inner);
    }

    private Grouping? TryGrouping()
    {
        if (Peek.Kind != TokenKind.Identifier || Peek.Text is not ("by" or "without"))
        {
            return null;
        }

        var without = Take().Text == "without";
        Expect(TokenKind.Symbol, "(");
        var labels = new List<string>();
        while (!TryTake(TokenKind.Symbol, ")"))
        {
            if (labels.Count > 0)
            {
                Expect(TokenKind.Symbol, ",");
                if (TryTake(TokenKind.Symbol, ")"))
                {
                    break;
                }
            }

            labels.Add(Expect(TokenKind.Identifier).Text);
        }

        return new Grouping(without, labels);
    }

    private RangeAggregation RangeAggregationExpr()
    {
        var opToken = Take();
        var op = opToken.Text;
        Expect(TokenKind.Symbol, "(");
        double? parameter = null;
        if (op == "quantile_over_time")
        {
            var phi = Expect(TokenKind.Number);
            parameter = Number(phi);
            Expect(TokenKind.Symbol, ",");
        }

        LogQuery query;
        long range;
        if (TryTake(TokenKind.Symbol, "("))
        {
            query = LogQueryExpr();
            Expect(TokenKind.Symbol, ")");
            range = RangeSelector();
        }
        else
        {
            var matchers = Selector();
            var stages = new List<PipelineStage>();
            // Both {…}[5m] | json and {…} | json [5m] are LogQL.
            if (Peek.Kind == TokenKind.Symbol && Peek.Text == "[")
            {
                range = RangeSelector();
                stages.AddRange(Pipeline());
            }
            else
            {
                stages.AddRange(Pipeline());
                range = RangeSelector();
            }

            query = new LogQuery(matchers, stages);
        }

        long offset = 0;
        if (TryTake(TokenKind.Identifier, "offset"))
        {
            offset = DurationMicros(Expect(TokenKind.Number));
        }

        Expect(TokenKind.Symbol, ")");
        var grouping = TryGrouping();
        var unwraps = query.Pipeline.OfType<UnwrapStage>().Count();
        if (s_unwrapOps.Contains(op) && unwraps != 1)
        {
            throw new QueryException(400, $"parse error: {op} needs exactly one '| unwrap <label>' stage");
        }

        if (!s_unwrapOps.Contains(op) && unwraps > 0)
        {
            throw new QueryException(400, $"parse error: {op} does not take an unwrapped range; use sum_over_time, avg_over_time, min_over_time, max_over_time or quantile_over_time");
        }

        if (grouping is not null && !s_unwrapOps.Contains(op))
        {
            throw Error(opToken, $"grouping is only allowed on range aggregations over unwrapped values, not {op}");
        }

        return new RangeAggregation(op, query, range, offset, parameter, grouping);
    }

    private long RangeSelector()
    {
        Expect(TokenKind.Symbol, "[");
        var token = Expect(TokenKind.Number);
        var range = DurationMicros(token);
        if (range <= 0)
        {
            throw Error(token, "the range must be positive");
        }

        Expect(TokenKind.Symbol, "]");
        return range;
    }

    private LogQuery LogQueryExpr() => new(Selector(), [.. Pipeline()]);

    private List<LabelMatcher> Selector()
    {
        var open = Expect(TokenKind.Symbol, "{");
        var matchers = new List<LabelMatcher>();
        while (!TryTake(TokenKind.Symbol, "}"))
        {
            if (matchers.Count > 0)
            {
                Expect(TokenKind.Symbol, ",");
            }

            matchers.Add(Matcher(Expect(TokenKind.Identifier).Text));
        }

        if (matchers.Count == 0 || matchers.All(m => m.Op is MatchOp.NotEqual or MatchOp.NotRegex || (m.Op == MatchOp.Regex && IsEverything(m.Value)) || (m.Op == MatchOp.Equal && m.Value.Length == 0)))
        {
            throw SyntaxError(_text, open.Position, "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will");
        }

        return matchers;
    }

    private static bool IsEverything(string regex) => regex is ".*" or "" or "(.*)";

    private LabelMatcher Matcher(string name)
    {
        var opToken = Take();
        var op = opToken.Text switch
        {
            "=" => MatchOp.Equal,
            "!=" => MatchOp.NotEqual,
            "=~" => MatchOp.Regex,
            "!~" => MatchOp.NotRegex,
            _ => throw Error(opToken, $"unexpected {opToken.Describe()}, expecting = != =~ or !~"),
        };
        var value = Expect(TokenKind.String).Text;
        if (op is MatchOp.Regex or MatchOp.NotRegex)
        {
            Regexes.Check(value);
        }

        return new LabelMatcher(name, op, value);
    }

    private IEnumerable<PipelineStage> Pipeline()
    {
        while (true)
        {
            var token = Peek;
            if (token.Kind == TokenKind.Symbol && token.Text is "|=" or "!=" or "|~" or "!~")
            {
                Take();
                var values = new List<string> { Expect(TokenKind.String).Text };
                while (TryTake(TokenKind.Identifier, "or"))
                {
                    values.Add(Expect(TokenKind.String).Text);
                }

                var isRegex = token.Text is "|~" or "!~";
                if (isRegex)
                {
                    values.ForEach(Regexes.Check);
                }

                yield return new LineFilter(token.Text[0] == '!', isRegex, values);
            }
            else if (token.Kind == TokenKind.Symbol && token.Text == "|")
            {
                Take();
                yield return Stage();
            }
            else
            {
                yield break;
            }
        }
    }

    private PipelineStage Stage()
    {
        var token = Peek;
        if (token.Kind != TokenKind.Identifier && token.Kind != TokenKind.Symbol)
        {
            throw Error(token, $"unexpected {token.Describe()} after |");
        }

        switch (token.Text)
        {
            case "json":
                Take();
                return new JsonStage(ExtractionFields());
            case "logfmt":
                Take();
                if (Peek.Kind == TokenKind.Symbol && Peek.Text == "-")
                {
                    throw Unsupported("logfmt flags (--strict, --keep-empty)");
                }

                return new LogfmtStage(ExtractionFields());
            case "pattern":
                Take();
                return new PatternStage(Pattern.Check(Expect(TokenKind.String).Text));
            case "regexp":
                {
                    Take();
                    var pattern = Expect(TokenKind.String).Text;
                    Regexes.CheckExtraction(pattern);
                    return new RegexpStage(pattern);
                }

            case "line_format":
                Take();
                return new LineFormatStage(Template.Check(Expect(TokenKind.String).Text));
            case "label_format":
                {
                    Take();
                    var assignments = new List<(string, string?, string?)>();
                    do
                    {
                        var label = Expect(TokenKind.Identifier).Text;
                        Expect(TokenKind.Symbol, "=");
                        assignments.Add(Peek.Kind == TokenKind.String
                            ? (label, null, Template.Check(Take().Text))
                            : (label, Expect(TokenKind.Identifier).Text, null));
                    }
                    while (TryTake(TokenKind.Symbol, ","));
                    return new LabelFormatStage(assignments);
                }

            case "drop" or "keep":
                {
                    var keep = Take().Text == "keep";
                    var labels = new List<LabelMatcher?>();
                    var names = new List<string>();
                    do
                    {
                        var name = Expect(TokenKind.Identifier).Text;
                        names.Add(name);
                        labels.Add(Peek.Kind == TokenKind.Symbol && Peek.Text is "=" or "!=" or "=~" or "!~" ? Matcher(name) : null);
                    }
                    while (TryTake(TokenKind.Symbol, ","));
                    return new DropKeepStage(keep, labels, names);
                }

            case "unwrap":
                {
                    Take();
                    var name = Expect(TokenKind.Identifier).Text;
                    if (name is "duration" or "duration_seconds" or "bytes" && TryTake(TokenKind.Symbol, "("))
                    {
                        var label = Expect(TokenKind.Identifier).Text;
                        Expect(TokenKind.Symbol, ")");
                        return new UnwrapStage(label, name == "bytes" ? "bytes" : "duration");
                    }

                    return new UnwrapStage(name, null);
                }

            default:
                if (s_unsupported.Contains(token.Text))
                {
                    throw Unsupported($"the '| {token.Text}' stage");
                }

                // A label filter starts with a label name or, as Loki's grammar allows, a parenthesis.
                if (token.Kind == TokenKind.Identifier || token.Text == "(")
                {
                    return new LabelFilterStage(LabelOrExpr());
                }

                throw Error(token, $"unexpected {token.Describe()} after |");
        }
    }

    private List<(string, string)> ExtractionFields()
    {
        var fields = new List<(string, string)>();
        // "| json a, b=\"x.y\"" names fields; an identifier followed by anything else is not one.
        if (Peek.Kind != TokenKind.Identifier || _tokens[_next + 1] is not ({ Kind: TokenKind.End } or { Kind: TokenKind.Symbol, Text: "=" or "," or "|" or "|=" or "!=" or "|~" or "!~" or "[" or ")" }))
        {
            return fields;
        }

        do
        {
            var label = Expect(TokenKind.Identifier).Text;
            fields.Add(TryTake(TokenKind.Symbol, "=") ? (label, Expect(TokenKind.String).Text) : (label, label));
        }
        while (TryTake(TokenKind.Symbol, ","));
        return fields;
    }

    private LabelPredicate LabelOrExpr()
    {
        var left = LabelAndExpr();
        while (TryTake(TokenKind.Identifier, "or"))
        {
            CountBinaryOperator();
            left = new LabelOr(left, LabelAndExpr());
        }

        return left;
    }

    private LabelPredicate LabelAndExpr()
    {
        var left = LabelAtom();
        while (Peek.Kind == TokenKind.Identifier && Peek.Text == "and" || Peek.Kind == TokenKind.Symbol && Peek.Text == ",")
        {
            Take();
            CountBinaryOperator();
            left = new LabelAnd(left, LabelAtom());
        }

        return left;
    }

    private LabelPredicate LabelAtom()
    {
        if (TryTake(TokenKind.Symbol, "("))
        {
            Enter();
            var inner = LabelOrExpr();
            Expect(TokenKind.Symbol, ")");
            _nesting--;
            return inner;
        }

        var name = Expect(TokenKind.Identifier).Text;
        var opToken = Take();
        if (opToken.Kind != TokenKind.Symbol || opToken.Text is not ("=" or "!=" or "=~" or "!~" or "==" or ">" or ">=" or "<" or "<="))
        {
            throw Error(opToken, $"unexpected {opToken.Describe()}, expecting a comparison after label {name}");
        }

        var value = Peek;
        if (value.Kind == TokenKind.String)
        {
            Take();
            var op = opToken.Text switch
            {
                "=" or "==" => MatchOp.Equal,
                "!=" => MatchOp.NotEqual,
                "=~" => MatchOp.Regex,
                "!~" => MatchOp.NotRegex,
                _ => throw Error(value, $"{opToken.Text} compares numbers, durations or bytes, not strings"),
            };
            if (op is MatchOp.Regex or MatchOp.NotRegex)
            {
                Regexes.Check(value.Text);
            }

            return new LabelStringMatch(new LabelMatcher(name, op, value.Text));
        }

        if (opToken.Text is "=~" or "!~")
        {
            throw Error(value, $"unexpected {value.Describe()}, expecting a string");
        }

        var negative = TryTake(TokenKind.Symbol, "-");
        var number = Expect(TokenKind.Number);
        var (amount, kind) = Quantity(number);
        return new LabelCompare(name, opToken.Text == "=" ? "==" : opToken.Text, negative ? -amount : amount, kind);
    }

    private double Number(Token token)
    {
        return double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(token, $"'{token.Text}' is not a number");
    }

    private long DurationMicros(Token token) =>
        Units.TryDuration(token.Text, out var seconds) ? (long)Math.Round(seconds * 1e6) : throw Error(token, $"'{token.Text}' is not a duration such as 5m or 1h30m");

    private (double, ValueKind) Quantity(Token token)
    {
        if (double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return (number, ValueKind.Number);
        }

        if (Units.TryDuration(token.Text, out var seconds))
        {
            return (seconds, ValueKind.Duration);
        }

        return Units.TryBytes(token.Text, out var bytes) ? (bytes, ValueKind.Bytes) : throw Error(token, $"'{token.Text}' is not a number, duration or size");
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i < text.Length && text[i] == '#')
            {
                // A comment runs to the end of the line.
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", i));
                return tokens;
            }

            var start = i;
            var c = text[i];
            if (c is '"' or '`')
            {
                tokens.Add(new Token(TokenKind.String, ReadString(text, ref i), start));
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                // Numbers may carry units: 5m, 1h30m, 250ms, 20MB, 1.5KiB.
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '.' || (text[i] is '+' or '-' && IsExponentSign(text, start, i))))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Number, text[start..i], start));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or ':' or '.'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], start));
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
                var symbol = two is "|=" or "|~" or "!=" or "!~" or "=~" or "==" or ">=" or "<=" ? two : c.ToString();
                if (symbol.Length == 1 && "{}()[],|=<>+-*/%^".IndexOf(c, StringComparison.Ordinal) < 0)
                {
                    throw SyntaxError(text, start, $"syntax error: unexpected character '{c}'");
                }

                i += symbol.Length;
                tokens.Add(new Token(TokenKind.Symbol, symbol, start));
            }
        }
    }

    /// <summary>Whether the sign at <paramref name="i"/> belongs to an exponent, as in 1.5e-3.</summary>
    private static bool IsExponentSign(string text, int start, int i) =>
        text[i - 1] is 'e' or 'E' && !text.AsSpan(start, i - start - 1).ContainsAnyExcept("0123456789.");

    private static string ReadString(string text, ref int i)
    {
        var quote = text[i];
        var start = i++;
        var value = new StringBuilder();
        while (i < text.Length && text[i] != quote)
        {
            if (quote == '"' && text[i] == '\\' && i + 1 < text.Length)
            {
                i++;
                switch (text[i])
                {
                    case 'n': value.Append('\n'); break;
                    case 't': value.Append('\t'); break;
                    case 'r': value.Append('\r'); break;
                    case 'u' when i + 4 < text.Length && int.TryParse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code):
                        value.Append((char)code);
                        i += 4;
                        break;
                    default: value.Append(text[i]); break;
                }

                i++;
            }
            else
            {
                value.Append(text[i++]);
            }
        }

        if (i >= text.Length)
        {
            throw SyntaxError(text, start, "syntax error: unterminated string");
        }

        i++;
        return value.ToString();
    }

    private enum TokenKind
    {
        Identifier,
        String,
        Number,
        Symbol,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position)
    {
        public string Describe() => Kind switch
        {
            TokenKind.End => "end of input",
            TokenKind.String => $"string \"{Text}\"",
            _ => $"'{Text}'",
        };
    }
}
