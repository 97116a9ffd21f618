using System.Text.RegularExpressions;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// LogQL regular expressions are RE2. DuckDB's regexp functions are RE2 too, so whatever runs in SQL
/// matches Loki exactly; stages that run in .NET translate RE2's <c>(?P&lt;name&gt;…)</c> and use the
/// non-backtracking engine, which, like RE2, runs in linear time and has no backreferences.
/// </summary>
internal static class Regexes
{
    /// <summary>Refuses a pattern neither engine would accept.</summary>
    public static void Check(string pattern) => _ = Compile(pattern, anchored: false);

    /// <summary>Refuses a <c>| regexp</c> pattern without named groups.</summary>
    public static void CheckExtraction(string pattern)
    {
        var regex = Compile(pattern, anchored: false);
        if (!regex.GetGroupNames().Any(n => !int.TryParse(n, out _)))
        {
            throw new QueryException(400, $"parse error: the regexp stage needs at least one named group such as (?P<name>…): \"{pattern}\"");
        }
    }

    /// <summary>The .NET form of an RE2 pattern; <paramref name="anchored"/> for label matchers, which must match the whole value.</summary>
    public static Regex Compile(string pattern, bool anchored)
    {
        var translated = pattern.Replace("(?P<", "(?<", StringComparison.Ordinal);
        try
        {
            return new Regex(anchored ? $"^(?:{translated})$" : translated, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            // NotSupportedException: constructs the linear-time engine refuses (atomic groups, lookarounds).
            throw new QueryException(400, $"parse error: invalid regular expression \"{pattern}\": {e.Message}");
        }
    }
}
