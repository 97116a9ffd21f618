using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace IceGate.QueryApi.LogQL;

/// <summary>The parameters of a Loki API request, from the query string or a form body, in Loki's forms.</summary>
internal sealed class LokiParameters
{
    private readonly IQueryCollection _query;
    private readonly IFormCollection? _form;

    private LokiParameters(IQueryCollection query, IFormCollection? form)
    {
        _query = query;
        _form = form;
    }

    /// <summary>Reads a request's parameters (a POST's form fields too).</summary>
    public static async Task<LokiParameters> ReadAsync(HttpRequest request)
    {
        try
        {
            var form = request.HasFormContentType ? await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false) : null;
            return new LokiParameters(request.Query, form);
        }
        catch (InvalidDataException e)
        {
            // A form body the reader refuses (bad encoding, control characters, too many or too long fields).
            throw new QueryException(400, $"invalid form body: {e.Message}");
        }
    }

    /// <summary>A parameter's first value.</summary>
    public string? this[string name] => _form is not null && _form.TryGetValue(name, out var posted) ? posted.FirstOrDefault() : _query[name].FirstOrDefault();

    /// <summary>Every value of a repeated parameter such as <c>match[]</c>.</summary>
    public IEnumerable<string> All(string name) =>
        _query[name].Concat(_form is not null ? _form[name] : default(Microsoft.Extensions.Primitives.StringValues)).OfType<string>();

    /// <summary>A time in µs: integers are Unix nanoseconds, decimals are seconds, or RFC 3339.</summary>
    public long? Time(string name)
    {
        var text = this[name];
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var nanos))
        {
            return UnixMicros.Checked(nanos / 1000, name);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return UnixMicros.Checked(Math.Round(seconds * 1e6), name);
        }

        return SqlEndpoints.TryParseDate(text, out var micros)
            ? micros
            : throw new QueryException(400, $"invalid {name}: '{text}' is not Unix nanoseconds, seconds or an RFC 3339 time");
    }

    /// <summary>A duration in µs: <c>15s</c>, <c>1m30s</c>, Grafana's <c>15000ms</c>, or (float) seconds.</summary>
    public long? Duration(string name)
    {
        var text = this[name];
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var micros = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? seconds * 1e6
            : Units.TryDuration(text, out seconds) ? seconds * 1e6 : throw new QueryException(400, $"invalid {name}: '{text}' is not a duration such as 15s or 15000ms");
        // Below a microsecond (1ns, 0.0000001) rounds to zero, which no step or window can be.
        return Math.Round(micros) >= 1 ? UnixMicros.Checked(Math.Round(micros), name) : throw new QueryException(400, $"invalid {name}: zero, negative or sub-microsecond durations are not accepted. Try a positive integer");
    }

    /// <summary>A metric query's step in µs: <c>step</c>, else Loki's default of about 250 points (whole seconds, at least one).</summary>
    public long Step(long startMicros, long endMicros) => Duration("step") ?? Math.Max(1_000_000, (endMicros - startMicros) / 250 / 1_000_000 * 1_000_000);

    /// <summary>The row limit: <c>limit</c> or <paramref name="fallback"/>; over <paramref name="max"/> it is refused, as Loki refuses it.</summary>
    public int Limit(int fallback, int max) =>
        this["limit"] is not { Length: > 0 } text ? Math.Min(fallback, max)
        : !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit <= 0 ? throw new QueryException(400, $"invalid limit: '{text}' is not a positive whole number")
        : limit <= max ? limit
        : throw new QueryException(400, $"max entries limit per query exceeded, limit > max_entries_limit ({limit} > {max}): the most Query:Limits:MaxEntries allows");

    /// <summary>The time range [start, end) in µs: <c>end</c> defaults to now, <c>start</c> to <c>end - since</c> or <c>end - fallback</c>.</summary>
    public (long Start, long End) Range(TimeSpan fallback, long nowMicros)
    {
        var end = Time("end") ?? nowMicros;
        var start = Time("start") ?? UnixMicros.Checked((double)end - (Duration("since") ?? (long)(fallback.TotalMilliseconds * 1000)), "since");
        return start <= end ? (start, end) : throw new QueryException(400, "invalid start and end: the end timestamp must not be before the start time");
    }

    /// <summary>Whether entries go oldest first (<c>direction=forward</c>); Loki's default is backward.</summary>
    public bool Forward => this["direction"]?.ToLowerInvariant() switch
    {
        null or "" or "backward" => false,
        "forward" => true,
        var other => throw new QueryException(400, $"invalid direction '{other}': use forward or backward"),
    };
}
