using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using IceGate.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IceGate.QueryApi.LogQL;

/// <summary>
/// Loki's HTTP API over the logs table, so that Grafana's stock Loki data source (and logcli)
/// work against IceGate: queries, labels, series, index stats and volume, tail, readiness and
/// build info. Answers use Loki's JSON shapes; errors are plain text with 400 for what the client
/// must fix, as Loki does.
/// </summary>
public static class LokiEndpoints
{
    private const string Prefix = "/loki/api/v1";
    private static readonly TimeSpan s_labelsWindow = TimeSpan.FromHours(6);
    private static readonly TimeSpan s_queryWindow = TimeSpan.FromHours(1);

    /// <summary>Maps the Loki API.</summary>
    public static void MapLokiApi(this IEndpointRouteBuilder app, QueryEngine engine, QueryMetrics metrics, QueryOptions options, string defaultTenant, string version)
    {
        ArgumentNullException.ThrowIfNull(app);
        var context = new LokiContext(engine, metrics, options, defaultTenant);
        foreach (var method in (string[])["GET", "POST"])
        {
            app.MapMethods($"{Prefix}/query_range", [method], (HttpContext http) => context.RunAsync(http, QueryRangeAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/query", [method], (HttpContext http) => context.RunAsync(http, InstantQueryAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/labels", [method], (HttpContext http) => context.RunAsync(http, LabelsAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/label", [method], (HttpContext http) => context.RunAsync(http, LabelsAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/label/{{name}}/values", [method], (HttpContext http) => context.RunAsync(http, LabelValuesAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/series", [method], (HttpContext http) => context.RunAsync(http, SeriesAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/index/stats", [method], (HttpContext http) => context.RunAsync(http, IndexStatsAsync)).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/index/volume", [method], (HttpContext http) => context.RunAsync(http, (c, p, e) => VolumeAsync(c, p, e, ranged: false))).ExcludeFromDescription();
            app.MapMethods($"{Prefix}/index/volume_range", [method], (HttpContext http) => context.RunAsync(http, (c, p, e) => VolumeAsync(c, p, e, ranged: true))).ExcludeFromDescription();
        }

        app.MapGet($"{Prefix}/tail", (HttpContext http) => TailAsync(http, context)).ExcludeFromDescription();
        app.MapGrafanaApi(context);
        app.MapGet("/ready", () => Results.Text("ready\n")).ExcludeFromDescription();
        var buildInfo = JsonSerializer.Serialize(new Dictionary<string, string> { ["version"] = version, ["revision"] = "", ["branch"] = "", ["buildUser"] = "", ["buildDate"] = "", ["goVersion"] = "" });
        app.MapGet($"{Prefix}/status/buildinfo", () => Results.Text(buildInfo, "application/json")).ExcludeFromDescription();
    }

    private static async Task QueryRangeAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var expr = LogQLParser.Parse(parameters["query"] ?? throw new QueryException(400, "query is required"));
        var (start, end) = parameters.Range(s_queryWindow, call.NowMicros);
        var (limit, forward) = (parameters.Limit(100, evaluator.Limits.MaxEntries), parameters.Forward);
        if (expr is LogQuery logs)
        {
            var result = await evaluator.LogsAsync(logs, start, end, limit, forward).ConfigureAwait(false);
            await call.WriteAsync(json => LokiJson.Data(json, "streams", w => LokiJson.Streams(w, result, forward), call, evaluator, result.EntryCount)).ConfigureAwait(false);
            return;
        }

        var range = new EvaluationRange(start, end, parameters.Step(start, end));
        var series = (await evaluator.MetricAsync(expr, range).ConfigureAwait(false)).AsSeries(range);
        await call.WriteAsync(json => LokiJson.Data(json, "matrix", w => LokiJson.Matrix(w, series, range), call, evaluator, series.Sum(s => s.Values.Count(v => v is not null)))).ConfigureAwait(false);
    }

    private static async Task InstantQueryAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var expr = LogQLParser.Parse(parameters["query"] ?? throw new QueryException(400, "query is required"));
        var time = parameters.Time("time") ?? call.NowMicros;
        var (limit, forward) = (parameters.Limit(100, evaluator.Limits.MaxEntries), parameters.Forward);
        if (expr is LogQuery logs)
        {
            var result = await evaluator.LogsAsync(logs, time - (long)(s_queryWindow.TotalMilliseconds * 1000), time, limit, forward).ConfigureAwait(false);
            await call.WriteAsync(json => LokiJson.Data(json, "streams", w => LokiJson.Streams(w, result, forward), call, evaluator, result.EntryCount)).ConfigureAwait(false);
            return;
        }

        var metric = await evaluator.MetricAsync(expr, new EvaluationRange(time, time, 1)).ConfigureAwait(false);
        if (metric is ScalarResult scalar)
        {
            await call.WriteAsync(json => LokiJson.Data(json, "scalar", w => LokiJson.Sample(w, time, scalar.Value), call, evaluator, 1)).ConfigureAwait(false);
            return;
        }

        var series = ((MatrixResult)metric).Series;
        await call.WriteAsync(json => LokiJson.Data(json, "vector", w => LokiJson.Vector(w, series, time), call, evaluator, series.Count)).ConfigureAwait(false);
    }

    private static async Task LabelsAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var (start, end) = parameters.Range(s_labelsWindow, call.NowMicros);
        var matchers = parameters["query"] is { Length: > 0 } selector ? LogQLParser.ParseSelector(selector) : [];
        var streams = await evaluator.StreamsAsync(matchers.Count == 0 ? [] : [matchers], start, end, withBytes: false).ConfigureAwait(false);
        var names = streams.SelectMany(s => s.Labels.Labels.Select(l => l.Key)).Distinct().Order(StringComparer.Ordinal);
        await call.WriteAsync(json => LokiJson.Strings(json, names)).ConfigureAwait(false);
    }

    private static async Task LabelValuesAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var name = (string)call.Http.Request.RouteValues["name"]!;
        var (start, end) = parameters.Range(s_labelsWindow, call.NowMicros);
        var matchers = parameters["query"] is { Length: > 0 } selector ? LogQLParser.ParseSelector(selector) : [];
        var streams = await evaluator.StreamsAsync(matchers.Count == 0 ? [] : [matchers], start, end, withBytes: false).ConfigureAwait(false);
        var values = streams.Select(s => s.Labels[name]).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        await call.WriteAsync(json => LokiJson.Strings(json, values)).ConfigureAwait(false);
    }

    private static async Task SeriesAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var (start, end) = parameters.Range(s_labelsWindow, call.NowMicros);
        var selectors = parameters.All("match[]").Concat(parameters.All("match")).Select(LogQLParser.ParseSelector).ToList();
        if (selectors.Count == 0)
        {
            throw new QueryException(400, "match[] is required: at least one stream selector such as {app=\"x\"}");
        }

        var series = (await evaluator.StreamsAsync(selectors, start, end, withBytes: false).ConfigureAwait(false)).Select(s => s.Labels);
        await call.WriteAsync(json =>
        {
            json.WriteStartObject();
            json.WriteString("status", "success");
            json.WriteStartArray("data");
            foreach (var labels in series)
            {
                LokiJson.Labels(json, labels);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task IndexStatsAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator)
    {
        var (start, end) = parameters.Range(s_queryWindow, call.NowMicros);
        var matchers = Selector(parameters);
        var streams = await evaluator.StreamsAsync([matchers], start, end, withBytes: true).ConfigureAwait(false);
        await call.WriteAsync(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("streams", streams.Count);
            json.WriteNumber("chunks", evaluator.Counters.FilesScanned);
            json.WriteNumber("entries", streams.Sum(s => s.Entries));
            json.WriteNumber("bytes", streams.Sum(s => s.Bytes));
            json.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Log volume: bytes by the labels in <c>targetLabels</c>, else by those the selector names, as
    /// the sum of <c>bytes_over_time</c> over the whole range (a vector) or per step (a matrix).
    /// </summary>
    private static async Task VolumeAsync(LokiCall call, LokiParameters parameters, LogQLEvaluator evaluator, bool ranged)
    {
        var (start, end) = parameters.Range(s_queryWindow, call.NowMicros);
        var matchers = Selector(parameters);
        var targets = parameters["targetLabels"] is { Length: > 0 } listed
            ? listed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : matchers.Select(m => m.Name).Distinct().ToArray();
        var limit = parameters.Limit(100, evaluator.Limits.MaxSeries);
        var query = new LogQuery(matchers, []);
        if (ranged)
        {
            var step = parameters.Step(start, end);
            var range = new EvaluationRange(start + step, end, step);
            var expr = new VectorAggregation("sum", new Grouping(false, targets), null, new RangeAggregation("bytes_over_time", query, step, 0, null, null));
            var series = ((MatrixResult)await evaluator.MetricAsync(expr, range).ConfigureAwait(false)).Series
                .OrderByDescending(s => s.Values.Sum(v => v ?? 0)).Take(limit).ToList();
            await call.WriteAsync(json => LokiJson.Data(json, "matrix", w => LokiJson.Matrix(w, series, range), call, evaluator, series.Count)).ConfigureAwait(false);
        }
        else
        {
            var expr = new VectorAggregation("sum", new Grouping(false, targets), null, new RangeAggregation("bytes_over_time", query, Math.Max(1, end - start), 0, null, null));
            var series = ((MatrixResult)await evaluator.MetricAsync(expr, new EvaluationRange(end, end, 1)).ConfigureAwait(false)).Series
                .OrderByDescending(s => s.Values[0]).Take(limit).ToList();
            await call.WriteAsync(json => LokiJson.Data(json, "vector", w => LokiJson.Vector(w, series, end), call, evaluator, series.Count)).ConfigureAwait(false);
        }
    }

    private static IReadOnlyList<LabelMatcher> Selector(LokiParameters parameters)
    {
        var text = parameters["query"] ?? throw new QueryException(400, "query is required: a stream selector such as {app=\"x\"}");
        return LogQLParser.Parse(text) is LogQuery query ? query.Matchers : throw new QueryException(400, $"query must be a stream selector, not '{text}'");
    }

    /// <summary>
    /// <c>GET /loki/api/v1/tail</c> over a WebSocket: the last <c>limit</c> lines since <c>start</c>
    /// (an hour ago by default), then every second the lines that arrived, as
    /// <c>{"streams":[…],"dropped_entries":null}</c> messages, until the client closes.
    /// </summary>
    private static async Task TailAsync(HttpContext http, LokiContext context)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            http.Response.StatusCode = 400;
            await http.Response.WriteAsync("tail needs a WebSocket connection", http.RequestAborted).ConfigureAwait(false);
            return;
        }

        LogQuery query;
        string tenant;
        int limit;
        long since;
        try
        {
            tenant = context.Tenant(http.Request);
            var parameters = await LokiParameters.ReadAsync(http.Request).ConfigureAwait(false);
            query = LogQLParser.Parse(parameters["query"] ?? throw new QueryException(400, "query is required")) as LogQuery ?? throw new QueryException(400, "tail needs a log query, not a metric query");
            limit = parameters.Limit(100, context.Limits(tenant).MaxEntries);
            since = parameters.Time("start") ?? (LokiCall.Now() - (long)(s_queryWindow.TotalMilliseconds * 1000));
        }
        catch (QueryException e)
        {
            http.Response.StatusCode = e.Status;
            await http.Response.WriteAsync(e.Message, http.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var closed = http.RequestAborted;
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(closed);
        // Reading is how a close frame from the client is noticed.
        _ = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            try
            {
                while (socket.State == WebSocketState.Open && !(await socket.ReceiveAsync(buffer, closing.Token).ConfigureAwait(false)).CloseStatus.HasValue)
                {
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }

            await closing.CancelAsync().ConfigureAwait(false);
        });
        try
        {
            var first = true;
            while (!closing.IsCancellationRequested)
            {
                var now = LokiCall.Now();
                var evaluator = new LogQLEvaluator(context.Engine, tenant, context.Limits(tenant), closing.Token);
                // The first batch is the newest lines; later ones everything new, oldest first.
                var result = await evaluator.LogsAsync(query, since, now + 1, limit, forward: !first).ConfigureAwait(false);
                if (result.EntryCount > 0)
                {
                    since = result.Streams.SelectMany(s => s.Entries).Max(e => e.TimestampMicros) + 1;
                    var message = LokiJson.Serialize(w =>
                    {
                        w.WriteStartObject();
                        w.WritePropertyName("streams");
                        LokiJson.Streams(w, result, forward: true);
                        w.WriteNull("dropped_entries");
                        w.WriteEndObject();
                    });
                    await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, closing.Token).ConfigureAwait(false);
                }

                first = false;
                await Task.Delay(TimeSpan.FromSeconds(1), closing.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException || QueryErrors.IsCancellation(e))
        {
        }
        catch (Exception e) when (QueryErrors.Status(e) is not null)
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.InternalServerError, e.Message.Length > 120 ? e.Message[..120] : e.Message, CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (socket.State == WebSocketState.CloseReceived)
        {
            // The client closed: finish the handshake.
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>What every Loki endpoint shares: tenant, parameters, timeout, metrics and error answers.</summary>
    internal sealed class LokiContext(QueryEngine engine, QueryMetrics metrics, QueryOptions options, string defaultTenant)
    {
        public QueryEngine Engine => engine;

        public QueryLimits Limits(string tenant) => options.LimitsFor(tenant);

        public string Tenant(HttpRequest request) =>
            Tenants.Resolve(request.Headers[Tenants.Header].FirstOrDefault(), defaultTenant, out var problem) ?? throw new QueryException(400, problem!);

        public async Task RunAsync(HttpContext http, Func<LokiCall, LokiParameters, LogQLEvaluator, Task> handler)
        {
            using var activity = Lakehouse.IceGateTelemetry.Source.StartActivity($"query {http.Request.Path}");
            using var timeout = new CancellationTokenSource(options.Timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, http.RequestAborted);
            var call = new LokiCall(http);
            LogQLEvaluator? evaluator = null;
            var outcome = QueryOutcome.Failed;
            metrics.Started();
            try
            {
                var tenant = Tenant(http.Request);
                var parameters = await LokiParameters.ReadAsync(http.Request).ConfigureAwait(false);
                evaluator = new LogQLEvaluator(engine, tenant, options.LimitsFor(tenant), linked.Token);
                await handler(call, parameters, evaluator).ConfigureAwait(false);
                outcome = QueryOutcome.Succeeded;
            }
            catch (Exception e) when (QueryErrors.IsCancellation(e))
            {
                outcome = http.RequestAborted.IsCancellationRequested ? QueryOutcome.Cancelled : QueryOutcome.TimedOut;
                if (outcome == QueryOutcome.TimedOut)
                {
                    await ErrorAsync(http, 504, $"the query ran longer than {options.Timeout.TotalSeconds:0.#} s and was stopped").ConfigureAwait(false);
                }
            }
            catch (Exception e) when (QueryErrors.Status(e) is { } status)
            {
                outcome = status < 500 ? QueryOutcome.Refused : QueryOutcome.Failed;
                await ErrorAsync(http, status, e.Message).ConfigureAwait(false);
            }
            finally
            {
                metrics.Finished(outcome, evaluator?.Counters ?? new QueryCounters(), http.Request.Path.StartsWithSegments("/api/v1/logql", StringComparison.Ordinal) ? "logql" : "loki", TimeSpan.FromSeconds(call.ElapsedSeconds));
            }
        }

        private static async Task ErrorAsync(HttpContext http, int status, string message)
        {
            if (http.Response.HasStarted || http.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            http.Response.StatusCode = status;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(message + "\n", http.RequestAborted).ConfigureAwait(false);
        }
    }
}

/// <summary>One Loki API request being answered.</summary>
internal sealed class LokiCall(HttpContext http)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public HttpContext Http { get; } = http;

    /// <summary>The request's "now" in µs.</summary>
    public long NowMicros { get; } = Now();

    /// <summary>Seconds since the request arrived.</summary>
    public double ElapsedSeconds => _clock.Elapsed.TotalSeconds;

    public static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>Sends a JSON answer.</summary>
    public async Task WriteAsync(Action<Utf8JsonWriter> write)
    {
        var body = LokiJson.Serialize(write);
        Http.Response.ContentType = "application/json; charset=utf-8";
        Http.Response.ContentLength = body.Length;
        await Http.Response.Body.WriteAsync(body, Http.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>Loki's JSON shapes.</summary>
internal static class LokiJson
{
    public static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"status":"success","data":{"resultType":…,"result":…,"stats":…}}</c>.</summary>
    public static void Data(Utf8JsonWriter json, string resultType, Action<Utf8JsonWriter> result, LokiCall call, LogQLEvaluator evaluator, long returned)
    {
        json.WriteStartObject();
        json.WriteString("status", "success");
        json.WriteStartObject("data");
        json.WriteString("resultType", resultType);
        json.WritePropertyName("result");
        result(json);
        json.WritePropertyName("stats");
        Stats(json, call.ElapsedSeconds, evaluator, returned);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Loki's stats object, from what the query did: lines and line bytes the pipeline processed
    /// (for aggregations DuckDB did alone: lines aggregated, and the Parquet bytes scanned), data
    /// files and WAL segments read (Loki's store chunks and ingester chunks), and times.
    /// </summary>
    private static void Stats(Utf8JsonWriter json, double seconds, LogQLEvaluator evaluator, long returned)
    {
        var counters = evaluator.Counters;
        var bytes = evaluator.LineBytesProcessed > 0 ? evaluator.LineBytesProcessed : counters.BytesScanned;
        var perSecond = seconds > 0 ? 1 / seconds : 0;
        json.WriteStartObject();
        json.WriteStartObject("summary");
        json.WriteNumber("bytesProcessedPerSecond", (long)(bytes * perSecond));
        json.WriteNumber("linesProcessedPerSecond", (long)(evaluator.LinesProcessed * perSecond));
        json.WriteNumber("totalBytesProcessed", bytes);
        json.WriteNumber("totalLinesProcessed", evaluator.LinesProcessed);
        json.WriteNumber("execTime", seconds);
        json.WriteNumber("queueTime", 0);
        json.WriteNumber("subqueries", 0);
        json.WriteNumber("totalEntriesReturned", returned);
        json.WriteNumber("splits", 0);
        json.WriteNumber("shards", 0);
        json.WriteNumber("totalPostFilterLines", evaluator.LinesProcessed);
        json.WriteNumber("totalStructuredMetadataBytesProcessed", 0);
        json.WriteEndObject();
        json.WriteStartObject("querier");
        Store(json, counters.FilesScanned - counters.WalSegments, counters.ObjectsFetched, counters.BytesFetched, counters.BytesScanned, evaluator);
        json.WriteEndObject();
        json.WriteStartObject("ingester");
        json.WriteNumber("totalReached", counters.WalSegments > 0 ? 1 : 0);
        json.WriteNumber("totalChunksMatched", counters.WalSegments);
        json.WriteNumber("totalBatches", 0);
        json.WriteNumber("totalLinesSent", 0);
        Store(json, counters.WalSegments, 0, 0, 0, null);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Store(Utf8JsonWriter json, long chunks, long downloaded, long downloadedBytes, long compressedBytes, LogQLEvaluator? evaluator)
    {
        json.WriteStartObject("store");
        json.WriteNumber("totalChunksRef", chunks);
        json.WriteNumber("totalChunksDownloaded", downloaded);
        json.WriteNumber("chunksDownloadTime", 0);
        json.WriteBoolean("queryReferencedStructuredMetadata", false);
        json.WriteStartObject("chunk");
        json.WriteNumber("headChunkBytes", 0);
        json.WriteNumber("headChunkLines", 0);
        json.WriteNumber("decompressedBytes", evaluator?.LineBytesProcessed ?? 0);
        json.WriteNumber("decompressedLines", evaluator?.LinesProcessed ?? 0);
        json.WriteNumber("compressedBytes", compressedBytes);
        json.WriteNumber("totalDuplicates", 0);
        json.WriteNumber("postFilterLines", evaluator?.LinesProcessed ?? 0);
        json.WriteNumber("headChunkStructuredMetadataBytes", 0);
        json.WriteNumber("decompressedStructuredMetadataBytes", 0);
        json.WriteEndObject();
        json.WriteNumber("chunkRefsFetchTime", 0);
        json.WriteNumber("congestionControlLatency", 0);
        json.WriteNumber("pipelineWrapperFilteredLines", 0);
        json.WriteNumber("fetchedBytes", downloadedBytes);
        json.WriteEndObject();
    }

    /// <summary>Streams: <c>[{"stream":{…},"values":[["&lt;ns&gt;","&lt;line&gt;"],…]},…]</c>, entries in the query's direction.</summary>
    public static void Streams(Utf8JsonWriter json, StreamsResult result, bool forward)
    {
        json.WriteStartArray();
        foreach (var (labels, entries) in result.Streams)
        {
            json.WriteStartObject();
            json.WritePropertyName("stream");
            Labels(json, labels);
            json.WriteStartArray("values");
            foreach (var (timestamp, line) in forward ? entries.OrderBy(e => e.TimestampMicros) : entries.OrderByDescending(e => e.TimestampMicros))
            {
                json.WriteStartArray();
                json.WriteStringValue((timestamp * 1000).ToString(CultureInfo.InvariantCulture));
                json.WriteStringValue(line);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>A matrix: <c>[{"metric":{…},"values":[[&lt;seconds&gt;,"&lt;value&gt;"],…]},…]</c>.</summary>
    public static void Matrix(Utf8JsonWriter json, IReadOnlyList<Series> series, EvaluationRange range) => Metrics(json, series, (w, one) =>
    {
        w.WriteStartArray("values");
        for (var step = 0; step < one.Values.Length; step++)
        {
            if (one.Values[step] is { } value)
            {
                Sample(w, range.At(step), value);
            }
        }

        w.WriteEndArray();
    });

    /// <summary>A vector: <c>[{"metric":{…},"value":[&lt;seconds&gt;,"&lt;value&gt;"]},…]</c>.</summary>
    public static void Vector(Utf8JsonWriter json, IReadOnlyList<Series> series, long timeMicros) => Metrics(json, series, (w, one) =>
    {
        w.WritePropertyName("value");
        Sample(w, timeMicros, one.Values[0]!.Value);
    });

    /// <summary>An array of <c>{"metric":{…}, …}</c>, the rest of each object written by <paramref name="samples"/>.</summary>
    private static void Metrics(Utf8JsonWriter json, IReadOnlyList<Series> series, Action<Utf8JsonWriter, Series> samples)
    {
        json.WriteStartArray();
        foreach (var one in series)
        {
            json.WriteStartObject();
            json.WritePropertyName("metric");
            Labels(json, one.Labels);
            samples(json, one);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary><c>[&lt;seconds&gt;, "&lt;value&gt;"]</c>.</summary>
    public static void Sample(Utf8JsonWriter json, long timeMicros, double value)
    {
        json.WriteStartArray();
        json.WriteRawValue(Seconds(timeMicros));
        json.WriteStringValue(Number(value));
        json.WriteEndArray();
    }

    public static void Labels(Utf8JsonWriter json, LabelSet labels)
    {
        json.WriteStartObject();
        foreach (var (name, value) in labels.Labels)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
    }

    public static void Strings(Utf8JsonWriter json, IEnumerable<string> values)
    {
        json.WriteStartObject();
        json.WriteString("status", "success");
        json.WriteStartArray("data");
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Unix seconds with up to microsecond digits, as a JSON number.</summary>
    public static string Seconds(long micros) =>
        micros % 1_000_000 == 0 ? (micros / 1_000_000).ToString(CultureInfo.InvariantCulture) : (micros / 1e6).ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>A sample value as Go's <c>strconv.FormatFloat(v, 'f', -1, 64)</c> writes it (Prometheus' form).</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }

        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('E', StringComparison.Ordinal) && Math.Abs(value) < 1e28 ? ((decimal)value).ToString(CultureInfo.InvariantCulture) : text;
    }

    /// <summary>ISO 8601 in UTC, as Grafana's generic data sources read times.</summary>
    public static string Iso(long micros) => DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", CultureInfo.InvariantCulture);
}
