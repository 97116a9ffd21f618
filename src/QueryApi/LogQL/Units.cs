using System.Globalization;
using System.Text.RegularExpressions;

namespace IceGate.QueryApi.LogQL;

/// <summary>Durations (Prometheus and Go forms) and byte sizes (SI and IEC) as LogQL writes them.</summary>
internal static partial class Units
{
    /// <summary>Parses <c>5m</c>, <c>1h30m</c>, <c>250ms</c>, <c>1.5s</c>, <c>2d</c>, <c>1w</c> into seconds.</summary>
    public static bool TryDuration(string text, out double seconds)
    {
        seconds = 0;
        var matches = DurationPart().Matches(text);
        if (matches.Count == 0 || matches.Sum(m => m.Length) != text.Length)
        {
            return false;
        }

        foreach (Match part in matches)
        {
            var amount = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            seconds += amount * part.Groups[2].Value switch
            {
                "ns" => 1e-9,
                "us" or "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86400,
                "w" => 604800,
                _ => 31536000, // y
            };
        }

        return true;
    }

    /// <summary>Parses <c>20MB</c>, <c>1.5KiB</c>, <c>512B</c>, <c>3 GB</c> into bytes.</summary>
    public static bool TryBytes(string text, out double bytes)
    {
        bytes = 0;
        var match = BytesForm().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        var unit = match.Groups[2].Value.ToUpperInvariant();
        var power = unit.Length == 0 ? 0 : "BKMGTPE".IndexOf(unit[0], StringComparison.Ordinal);
        var binary = unit.Contains('I', StringComparison.Ordinal);
        bytes = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * Math.Pow(binary ? 1024 : 1000, power);
        return true;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)")]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*((?:[KMGTPE]i?)?B?|B)$", RegexOptions.IgnoreCase)]
    private static partial Regex BytesForm();
}
