using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// <c>GET /api/v1/logql</c>: LogQL answered as a flat array of objects, the shape Grafana's
/// generic JSON data sources (Infinity, JSON API) turn into tables, time series and logs without
/// transformations. Log lines are <c>{"timestamp": ISO, "body", "level", …labels}</c> (Infinity's
/// logs format); metric points are <c>{"timestamp": ISO, "value", …labels}</c>. Times take the
/// SQL API's forms, so Grafana's <c>${__from}</c>/<c>${__to}</c> (Unix ms) work as they are.
/// </summary>
public static class GrafanaEndpoints
{
    private static readonly (string Name, string Description)[] s_parameters =
    [
        ("query", "A LogQL log or metric query."),
        ("start", "The start of the range: RFC 3339, or Unix time in s, ms, µs or ns (by magnitude). Default: an hour before end."),
        ("end", "The end of the range, in the same forms. Default: now."),
        ("step", "For metric queries, the distance between points: 15s, 1m, 15000ms or seconds. Default: about 250 points."),
        ("limit", "For log queries, the most lines (default 1000)."),
        ("direction", "For log queries, backward (newest first, the default) or forward."),
        ("format", "json (the default: an array of objects) or arrow (an Arrow IPC stream: timestamp, body, level and a labels map per line; timestamp, value and labels per point)."),
    ];

    /// <summary>Maps the endpoint (with the Loki API, whose request handling it shares).</summary>
    internal static void MapGrafanaApi(this IEndpointRouteBuilder app, LokiEndpoints.LokiContext context)
    {
        app.MapGet("/api/v1/logql", (Func<HttpContext, Task>)(http => context.RunAsync(http, RunAsync)))
            .WithName("logqlObjects")
            .WithSummary("Runs LogQL and answers an array of objects (for Grafana's Infinity and JSON API data sources).")
            .WithDescription("Log queries give one object per line: timestamp (ISO 8601), body, level and the line's labels. Metric queries give one object per point: timestamp (ISO 8601), value and the series' labels. The tenant is X-Scope-OrgID.")
            .Produces<IReadOnlyList<Dictionary<string, object>>>(StatusCodes.Status200OK, "application/json", ArrowResultWriter.ContentType)
            .Produces<string>(StatusCodes.Status400BadRequest, "text/plain")
            .Produces<string>(StatusCodes.Status504GatewayTimeout, "text/plain")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                foreach (var (name, description) in s_parameters)
                {
                    operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Description = description, Required = name == "query", Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                }

                operation.Parameters.Add(new OpenApiParameter { Name = "X-Scope-OrgID", In = ParameterLocation.Header, Description = "The tenant; without it, the default tenant.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                return Task.CompletedTask;
            });
    }

    private static async Task RunAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var expr = LogQLParser.Parse(parameters["query"] ?? throw new QueryException(400, "query is required"));
        var arrow = parameters["format"] switch
        {
            null or "" or "json" => false,
            "arrow" => true,
            var other => throw new QueryException(400, $"unknown format '{other}': use json or arrow"),
        };
        var end = SqlEndpoints.Time(parameters["end"], "end") ?? call.NowMicros;
        var start = SqlEndpoints.Time(parameters["start"], "start") ?? end - 3_600_000_000;
        if (start > end)
        {
            throw new QueryException(400, "start must not be after end");
        }

        if (expr is LogQuery logs)
        {
            var result = await evaluator.LogsAsync(logs, start, end, parameters.Limit(1000, evaluator.Limits.MaxEntries), parameters.Forward).ConfigureAwait(false);
            var lines = result.Streams.SelectMany(s => s.Entries.Select(e => (s.Labels, e.TimestampMicros, e.Line)));
            lines = parameters.Forward ? lines.OrderBy(l => l.TimestampMicros) : lines.OrderByDescending(l => l.TimestampMicros);
            if (arrow)
            {
                await LogQLArrowWriter.WriteLinesAsync(call.Http, lines).ConfigureAwait(false);
                return;
            }

            await call.WriteAsync(json =>
            {
                json.WriteStartArray();
                foreach (var (labels, timestamp, line) in lines)
                {
                    json.WriteStartObject();
                    json.WriteString("timestamp", LokiJson.Iso(timestamp));
                    json.WriteString("body", line);
                    json.WriteString("level", labels["level"] ?? "unknown");
                    WriteLabels(json, labels);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }).ConfigureAwait(false);
            return;
        }

        var range = new EvaluationRange(start, end, parameters.Step(start, end));
        var series = (await evaluator.MetricAsync(expr, range).ConfigureAwait(false)).AsSeries(range);
        if (arrow)
        {
            await LogQLArrowWriter.WritePointsAsync(call.Http, Points(series, range)).ConfigureAwait(false);
            return;
        }

        await call.WriteAsync(json =>
        {
            json.WriteStartArray();
            foreach (var (labels, timestamp, value) in Points(series, range))
            {
                json.WriteStartObject();
                json.WriteString("timestamp", LokiJson.Iso(timestamp));
                if (double.IsFinite(value))
                {
                    json.WriteNumber("value", value);
                }
                else
                {
                    json.WriteString("value", LokiJson.Number(value));
                }

                WriteLabels(json, labels);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }).ConfigureAwait(false);
    }

    /// <summary>Every point of the series that has a value.</summary>
    private static IEnumerable<(LabelSet Labels, long TimestampMicros, double Value)> Points(IEnumerable<Series> series, EvaluationRange range)
    {
        foreach (var one in series)
        {
            for (var i = 0; i < one.Values.Length; i++)
            {
                if (one.Values[i] is { } value)
                {
                    yield return (one.Labels, range.At(i), value);
                }
            }
        }
    }

    private static void WriteLabels(System.Text.Json.Utf8JsonWriter json, LabelSet labels)
    {
        foreach (var (name, value) in labels.Labels)
        {
            if (name is not ("timestamp" or "body" or "level" or "value"))
            {
                json.WriteString(name, value);
            }
        }
    }
}
