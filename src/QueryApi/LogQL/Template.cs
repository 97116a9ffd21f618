using System.Globalization;
using System.Text;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// The subset of Go templates <c>line_format</c> and <c>label_format</c> use: text with actions
/// <c>{{.label}}</c>, <c>{{__line__}}</c>, <c>{{__timestamp__}}</c>, string constants, and functions
/// applied by call (<c>{{ToUpper .a}}</c>) or pipe (<c>{{ .a | lower | trim }}</c>). A missing
/// label renders empty. Control actions (<c>if</c>, <c>range</c>, <c>with</c>) are refused.
/// </summary>
internal sealed class Template
{
    // Each function with how many values it takes (the last one may come through a pipe).
    private static readonly Dictionary<string, (int Arity, Func<string[], string> Apply)> s_functions = new(StringComparer.Ordinal)
    {
        ["ToUpper"] = (1, a => a[0].ToUpperInvariant()),
        ["upper"] = (1, a => a[0].ToUpperInvariant()),
        ["ToLower"] = (1, a => a[0].ToLowerInvariant()),
        ["lower"] = (1, a => a[0].ToLowerInvariant()),
        ["TrimSpace"] = (1, a => a[0].Trim()),
        ["trim"] = (1, a => a[0].Trim()),
        ["title"] = (1, a => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(a[0])),
        ["len"] = (1, a => a[0].Length.ToString(CultureInfo.InvariantCulture)),
        ["replace"] = (3, a => a[2].Replace(a[0], a[1], StringComparison.Ordinal)),
        ["trunc"] = (2, a => int.TryParse(a[0], out var n) ? (n >= 0 ? a[1][..Math.Min(n, a[1].Length)] : a[1][Math.Max(0, a[1].Length + n)..]) : a[1]),
        ["default"] = (2, a => a[1].Length == 0 ? a[0] : a[1]),
    };

    // Literal text, or an action: a pipeline of commands, each a function and its operands or a lone operand.
    private readonly List<object> _parts = [];

    private Template(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                _parts.Add(text[i..]);
                break;
            }

            if (open > i)
            {
                _parts.Add(text[i..open]);
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new QueryException(400, $"parse error: the template \"{text}\" has an unclosed action");
            }

            var action = text[(open + 2)..close].Trim().Trim('-').Trim();
            _parts.Add(ParseAction(action, text));
            i = close + 2;
        }
    }

    /// <summary>Checks a template's syntax and returns it.</summary>
    public static string Check(string text)
    {
        _ = new Template(text);
        return text;
    }

    /// <summary>Parses a template.</summary>
    public static Template Compile(string text) => new(text);

    /// <summary>Renders the template for one line.</summary>
    public string Render(IReadOnlyDictionary<string, string> labels, string line, long timestampMicros)
    {
        var output = new StringBuilder();
        foreach (var part in _parts)
        {
            if (part is string literal)
            {
                output.Append(literal);
                continue;
            }

            string? piped = null;
            foreach (var (function, operands) in (List<(string?, List<string>)>)part)
            {
                var values = operands.Select(o => Operand(o, labels, line, timestampMicros)).ToList();
                if (piped is not null)
                {
                    values.Add(piped);
                }

                piped = function is null ? values[0] : s_functions[function].Apply([.. values]);
            }

            output.Append(piped);
        }

        return output.ToString();
    }

    private static string Operand(string operand, IReadOnlyDictionary<string, string> labels, string line, long timestampMicros) => operand switch
    {
        "__line__" => line,
        "__timestamp__" => DateTimeOffset.FromUnixTimeMilliseconds(timestampMicros / 1000).AddTicks(timestampMicros % 1000 * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFK", CultureInfo.InvariantCulture),
        ['"', ..] => operand[1..^1],
        ['.', ..] => labels.GetValueOrDefault(operand[1..], ""),
        _ => operand,
    };

    private static List<(string?, List<string>)> ParseAction(string action, string text)
    {
        var commands = new List<(string?, List<string>)>();
        var piped = false;
        foreach (var command in SplitPipes(action))
        {
            var words = Words(command, text);
            if (words.Count == 0)
            {
                throw new QueryException(400, $"parse error: the template \"{text}\" has an empty action");
            }

            if (words[0] is "if" or "else" or "end" or "range" or "with" or "define" or "block" or "template")
            {
                throw new QueryException(400, $"unsupported LogQL: the template action '{words[0]}' is not supported by IceGate (only labels, __line__, __timestamp__ and string functions)");
            }

            if (s_functions.TryGetValue(words[0], out var function))
            {
                if (words.Count - 1 + (piped ? 1 : 0) != function.Arity)
                {
                    throw new QueryException(400, $"parse error: the template function '{words[0]}' takes {function.Arity} value(s) in \"{text}\"");
                }

                commands.Add((words[0], words[1..]));
            }
            else if (words.Count == 1 && (words[0] is "__line__" or "__timestamp__" || words[0][0] is '.' or '"'))
            {
                commands.Add((null, words));
            }
            else
            {
                throw new QueryException(400, $"unsupported LogQL: the template function '{words[0]}' is not supported by IceGate (supported: {string.Join(", ", s_functions.Keys)})");
            }

            piped = true;
        }

        return commands;
    }

    private static IEnumerable<string> SplitPipes(string action)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < action.Length; i++)
        {
            if (action[i] == '"' && (i == 0 || action[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (action[i] == '|' && !quoted)
            {
                yield return action[start..i];
                start = i + 1;
            }
        }

        yield return action[start..];
    }

    private static List<string> Words(string command, string text)
    {
        var words = new List<string>();
        var i = 0;
        while (i < command.Length)
        {
            if (char.IsWhiteSpace(command[i]))
            {
                i++;
                continue;
            }

            var start = i;
            if (command[i] == '"')
            {
                i++;
                while (i < command.Length && command[i] != '"')
                {
                    i += command[i] == '\\' ? 2 : 1;
                }

                if (i >= command.Length)
                {
                    throw new QueryException(400, $"parse error: the template \"{text}\" has an unterminated string");
                }

                i++;
                words.Add(command[start..i].Replace("\\\"", "\"", StringComparison.Ordinal));
            }
            else
            {
                while (i < command.Length && !char.IsWhiteSpace(command[i]))
                {
                    i++;
                }

                words.Add(command[start..i]);
            }
        }

        return words;
    }
}
