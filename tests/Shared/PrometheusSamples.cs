using System.Globalization;
using System.Text.RegularExpressions;

namespace IceGate.Tests;

/// <summary>Reads samples out of Prometheus text exposition, as a scraper would.</summary>
internal static partial class PrometheusSamples
{
    /// <summary>
    /// The sum of the samples of <paramref name="name"/> whose labels include every one of
    /// <paramref name="labels"/> (others, such as <c>otel_scope_name</c>, may be there too); NaN
    /// when there is no such sample.
    /// </summary>
    public static double Sum(string exposition, string name, params (string Name, string Value)[] labels)
    {
        var matching = exposition.Split('\n')
            .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ')
            .Select(line =>
            {
                var close = line.LastIndexOf('}');
                var found = close < 0 ? [] : Label().Matches(line[..close]).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                return (Labels: found, Value: double.Parse(line[(close < 0 ? name.Length : close + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            })
            .Where(sample => labels.All(l => sample.Labels.TryGetValue(l.Name, out var value) && value == l.Value))
            .ToList();
        return matching.Count == 0 ? double.NaN : matching.Sum(sample => sample.Value);
    }

    [GeneratedRegex(@"(\w+)=""([^""]*)""")]
    private static partial Regex Label();
}
