namespace IceGate.QueryApi.LogQL;

/// <summary>
/// The <c>| pattern</c> parser: literals and captures (<c>&lt;name&gt;</c>, or <c>&lt;_&gt;</c> to skip).
/// As in Loki, the pattern is anchored at the start of the line, each capture runs to the next
/// occurrence of the literal after it, a final capture takes the rest, and a line that does not
/// match gets no labels.
/// </summary>
internal sealed class Pattern
{
    private readonly List<(string? Literal, string? Capture)> _parts;

    private Pattern(List<(string?, string?)> parts) => _parts = parts;

    /// <summary>Checks a pattern's syntax and returns it.</summary>
    public static string Check(string pattern)
    {
        _ = Compile(pattern);
        return pattern;
    }

    /// <summary>Splits a pattern into literals and captures.</summary>
    public static Pattern Compile(string pattern)
    {
        var parts = new List<(string?, string?)>();
        var i = 0;
        while (i < pattern.Length)
        {
            var open = pattern.IndexOf('<', i);
            var close = open < 0 ? -1 : pattern.IndexOf('>', open);
            var isCapture = close > open + 1 && pattern.AsSpan(open + 1, close - open - 1).ContainsAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") is false;
            if (open < 0 || !isCapture)
            {
                var end = open < 0 ? pattern.Length : open + 1;
                Append(parts, pattern[i..end]);
                i = end;
                continue;
            }

            Append(parts, pattern[i..open]);
            if (parts.Count > 0 && parts[^1].Item2 is not null)
            {
                throw new QueryException(400, $"parse error: the pattern \"{pattern}\" has two captures in a row; put a literal between them");
            }

            parts.Add((null, pattern[(open + 1)..close]));
            i = close + 1;
        }

        if (!parts.Any(p => p.Item2 is { } name && name != "_"))
        {
            throw new QueryException(400, $"parse error: the pattern \"{pattern}\" needs at least one named capture such as <name>");
        }

        return new Pattern(parts);
    }

    private static void Append(List<(string?, string?)> parts, string literal)
    {
        if (literal.Length == 0)
        {
            return;
        }

        if (parts.Count > 0 && parts[^1].Item1 is { } previous)
        {
            parts[^1] = (previous + literal, null);
        }
        else
        {
            parts.Add((literal, null));
        }
    }

    /// <summary>The captures of <paramref name="line"/>, or null when it does not match.</summary>
    public List<(string Name, string Value)>? Match(string line)
    {
        var captures = new List<(string, string)>();
        var position = 0;
        for (var i = 0; i < _parts.Count; i++)
        {
            var (literal, capture) = _parts[i];
            if (literal is not null)
            {
                if (!line.AsSpan(position).StartsWith(literal, StringComparison.Ordinal))
                {
                    return null;
                }

                position += literal.Length;
                continue;
            }

            string value;
            if (i + 1 < _parts.Count)
            {
                var next = line.IndexOf(_parts[i + 1].Literal!, position, StringComparison.Ordinal);
                if (next < 0)
                {
                    return null;
                }

                value = line[position..next];
                position = next;
            }
            else
            {
                value = line[position..];
                position = line.Length;
            }

            if (capture != "_")
            {
                captures.Add((capture!, value));
            }
        }

        return captures;
    }
}
