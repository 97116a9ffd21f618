using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using IceGate.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace IceGate.QueryApi;

/// <summary>
/// <c>GET|POST /api/v1/sql</c>: one SELECT over the tenant's <c>logs</c>, <c>spans</c> and
/// <c>metrics</c>, answered as JSON, NDJSON, CSV or Parquet.
/// </summary>
public static class SqlEndpoints
{
    /// <summary>The header carrying a result's stats for formats without room for them in the body.</summary>
    public const string StatsHeader = "X-IceGate-Stats";

    private static readonly (string Name, string Description)[] s_queryParameters =
    [
        ("q", "One SELECT statement over logs, spans and metrics."),
        ("start", "Only rows at or after this time: RFC 3339, or Unix time in s, ms, µs or ns (told apart by magnitude)."),
        ("end", "Only rows before this time, in the same forms as start."),
        ("limit", "The most rows returned (default 10000)."),
        ("format", "json (default), ndjson, csv, parquet, objects (an array of objects, for Grafana's Infinity and JSON API data sources), or arrow (an Arrow IPC stream)."),
        ("snapshot", "Read this snapshot id of each table (time travel; no WAL data)."),
        ("as_of", "Read the snapshot current at this time (time travel; no WAL data)."),
        ("prune", "false to read every file of the tables (pruning never changes answers; this is for checking that)."),
    ];

    private static OpenApiParameter TenantParameter => new() { Name = "X-Scope-OrgID", In = ParameterLocation.Header, Description = "The tenant; without it, the default tenant.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    /// <summary>Maps the SQL endpoint.</summary>
    public static void MapSqlApi(this IEndpointRouteBuilder app, QueryEngine engine, QueryMetrics metrics, QueryOptions options, string defaultTenant)
    {
        ArgumentNullException.ThrowIfNull(app);
        const string Description = """
            Runs one read-only SELECT (or WITH … SELECT) over the tables logs, spans and metrics, which show only the tenant's rows (X-Scope-OrgID) and, if start/end are given, only rows in [start, end).
            Parameters (query string for GET; JSON body or query string for POST): q (or query), start, end (RFC 3339, or Unix seconds, milliseconds, microseconds or nanoseconds by magnitude), limit, format (json, ndjson, csv, parquet, objects, arrow), snapshot (a snapshot id) or as_of (a time) for time travel, prune=false to read every file.
            Data acknowledged by ingest is included before it reaches the table (WAL segments), unless time travel is asked for.
            JSON results carry a stats object (files considered, pruned and scanned, bytes fetched, cache hits, rows, elapsed ms); other formats carry it in the X-IceGate-Stats header (for streamed formats the planning part, and the whole again as a trailer where the protocol allows).
            """;
        // Typed as Func rather than RequestDelegate so that the route gets OpenAPI metadata.
        app.MapGet("/api/v1/sql", (Func<HttpContext, Task>)(context => RunAsync(context, engine, metrics, options, defaultTenant, body: null)))
            .Document("sqlQueryGet", "Runs a SQL query (parameters in the query string).", Description, s_queryParameters);
        app.MapPost("/api/v1/sql", (Func<HttpContext, Task>)(async context =>
        {
            JsonElement? body = null;
            if (context.Request.HasJsonContentType())
            {
                try
                {
                    using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    body = document.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    await ErrorAsync(context, 400, $"The request body is not valid JSON: {e.Message}").ConfigureAwait(false);
                    return;
                }
            }

            await RunAsync(context, engine, metrics, options, defaultTenant, body).ConfigureAwait(false);
        })).Document("sqlQueryPost", "Runs a SQL query (parameters in a JSON body: query, start, end, limit, format, snapshot, as_of).", Description, [])
            .Accepts<SqlRequestDocument>("application/json");
    }

    /// <summary>The OpenAPI description both methods share: responses, the tenant header, and the given query parameters.</summary>
    private static RouteHandlerBuilder Document(this RouteHandlerBuilder route, string name, string summary, string description, (string Name, string Description)[] queryParameters) =>
        route.WithName(name).WithSummary(summary).WithDescription(description)
            .Produces<SqlResultDocument>(StatusCodes.Status200OK, "application/json", "application/x-ndjson", "text/csv", "application/vnd.apache.parquet", ArrowResultWriter.ContentType)
            .Produces<SqlErrorDocument>(StatusCodes.Status400BadRequest)
            .Produces<SqlErrorDocument>(StatusCodes.Status404NotFound)
            .Produces<SqlErrorDocument>(StatusCodes.Status503ServiceUnavailable)
            .Produces<SqlErrorDocument>(StatusCodes.Status504GatewayTimeout)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                foreach (var (parameter, text) in queryParameters)
                {
                    operation.Parameters.Add(new OpenApiParameter { Name = parameter, In = ParameterLocation.Query, Description = text, Required = parameter == "q", Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                }

                operation.Parameters.Add(TenantParameter);
                return Task.CompletedTask;
            });

    private static async Task RunAsync(HttpContext context, QueryEngine engine, QueryMetrics metrics, QueryOptions options, string defaultTenant, JsonElement? body)
    {
        var clock = Stopwatch.StartNew();
        SqlQuery query;
        try
        {
            query = Parse(context.Request, body, options, defaultTenant);
        }
        catch (QueryException e)
        {
            await ErrorAsync(context, e.Status, e.Message).ConfigureAwait(false);
            return;
        }

        using var activity = Lakehouse.IceGateTelemetry.Source.StartActivity("query sql");
        activity?.SetTag("icegate.tenant", query.Tenant).SetTag("db.query.text", query.Sql);
        using var timeout = new CancellationTokenSource(options.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted);
        var token = linked.Token;
        var counters = new QueryCounters();
        var outcome = QueryOutcome.Failed;
        var started = false;
        metrics.Started();
        try
        {
            using var prepared = await engine.PrepareAsync(query, token).ConfigureAwait(false);
            counters = prepared.Counters;
            if (query.Format == ResultFormat.Parquet)
            {
                await WriteParquetAsync(context, engine, prepared, query, clock, token).ConfigureAwait(false);
            }
            else
            {
                using var command = prepared.Connection.CreateCommand();
                command.CommandText = query.Sql;
                using var reader = command.ExecuteReader(System.Data.CommandBehavior.Default, token);

                // The first row is where DuckDB does most of the work: off the request thread, and
                // before the status is sent, so that errors still get theirs.
                var hasRow = await Task.Factory.StartNew(reader.Read, token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                context.Response.ContentType = ResultWriter.ContentType(query.Format);
                context.Response.Headers[StatsHeader] = ResultWriter.StatsText(counters, clock.ElapsedMilliseconds);
                var trailer = context.Response.SupportsTrailers();
                if (trailer)
                {
                    context.Response.DeclareTrailer(StatsHeader);
                }

                started = true;
                await (query.Format == ResultFormat.Arrow
                    ? ArrowResultWriter.WriteAsync(reader, context.Response.Body, query.Limit, counters, token)
                    : new ResultWriter(context.Response.Body).WriteAsync(reader, hasRow, query.Format, query.Limit, counters, clock, token)).ConfigureAwait(false);
                if (trailer)
                {
                    // The header had the plan's stats; the trailer has the rows and the whole time too.
                    context.Response.AppendTrailer(StatsHeader, ResultWriter.StatsText(counters, clock.ElapsedMilliseconds));
                }
            }

            outcome = QueryOutcome.Succeeded;
        }
        catch (Exception e) when (QueryErrors.IsCancellation(e))
        {
            outcome = context.RequestAborted.IsCancellationRequested ? QueryOutcome.Cancelled : QueryOutcome.TimedOut;
            if (outcome == QueryOutcome.TimedOut && !started)
            {
                await ErrorAsync(context, StatusCodes.Status504GatewayTimeout, $"The query ran longer than {options.Timeout.TotalSeconds:0.#} s and was stopped.").ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!started && QueryErrors.Status(e) is { } status)
        {
            outcome = status < 500 ? QueryOutcome.Refused : QueryOutcome.Failed;
            await ErrorAsync(context, status, e.Message).ConfigureAwait(false);
        }
        catch (Exception) when (started)
        {
            // The status is sent: cut the response short so that the client cannot take it for whole.
            context.Abort();
        }
        finally
        {
            metrics.Finished(outcome, counters, "sql", clock.Elapsed);
        }
    }

    private static async Task WriteParquetAsync(HttpContext context, QueryEngine engine, PreparedQuery prepared, SqlQuery query, Stopwatch clock, CancellationToken token)
    {
        var path = Path.Combine(engine.ResultsDirectory, $"{Guid.NewGuid():N}.parquet");
        try
        {
            using (var command = prepared.Connection.CreateCommand())
            {
                command.CommandText = $"COPY (SELECT * FROM {query.Subquery} LIMIT {query.Limit}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)";
                prepared.Counters.Rows = await Task.Factory.StartNew(() => command.ExecuteNonQueryAsync(token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap().ConfigureAwait(false);
            }

            prepared.Counters.Truncated = prepared.Counters.Rows == query.Limit;
            context.Response.ContentType = ResultWriter.ContentType(ResultFormat.Parquet);
            context.Response.Headers.ContentDisposition = "attachment; filename=\"result.parquet\"";
            context.Response.Headers[StatsHeader] = ResultWriter.StatsText(prepared.Counters, clock.ElapsedMilliseconds);
            context.Response.ContentLength = new FileInfo(path).Length;
            await context.Response.SendFileAsync(path, token).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SqlQuery Parse(HttpRequest request, JsonElement? body, QueryOptions options, string defaultTenant)
    {
        string? Get(string name) =>
            body is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
                ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
                : request.Query[name].FirstOrDefault();

        var tenant = Tenants.Resolve(request.Headers[Tenants.Header].FirstOrDefault(), defaultTenant, out var problem) ?? throw new QueryException(400, problem!);
        var sql = Get("query") ?? Get("q") ?? throw new QueryException(400, "The query is missing: pass q (or query) with one SELECT statement.");
        var format = Get("format")?.ToLowerInvariant() switch
        {
            null or "json" => ResultFormat.Json,
            "ndjson" or "jsonl" => ResultFormat.Ndjson,
            "csv" => ResultFormat.Csv,
            "parquet" => ResultFormat.Parquet,
            "objects" => ResultFormat.Objects,
            "arrow" => ResultFormat.Arrow,
            var other => throw new QueryException(400, $"Unknown format '{other}'; use json, ndjson, csv, parquet, objects or arrow."),
        };
        var limit = Get("limit") is { } limitText
            ? int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 && l <= options.MaxLimit ? l : throw new QueryException(400, $"limit must be a whole number from 1 to {options.MaxLimit}.")
            : options.DefaultLimit;
        var from = Time(Get("start"), "start");
        var to = Time(Get("end"), "end");
        if (from >= to)
        {
            throw new QueryException(400, "start must be before end.");
        }

        var snapshot = Get("snapshot") is { } snapshotText
            ? long.TryParse(snapshotText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw new QueryException(400, "snapshot must be a snapshot id.")
            : (long?)null;
        var asOf = Time(Get("as_of"), "as_of") / 1000;
        var prune = Get("prune") is not { } pruneText || !pruneText.Equals("false", StringComparison.OrdinalIgnoreCase);
        return new SqlQuery(sql, tenant, from, to, limit, format, snapshot, asOf, prune);
    }

    /// <summary>A time in µs: RFC 3339, or a Unix time whose unit (s, ms, µs, ns) its magnitude tells.</summary>
    internal static long? Time(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            var magnitude = Math.Abs(number);
            return UnixMicros.Checked(magnitude >= 1e17 ? number / 1000 : magnitude >= 1e14 ? number : magnitude >= 1e11 ? number * 1000 : number * 1_000_000, name);
        }

        return TryParseDate(text, out var micros)
            ? micros
            : throw new QueryException(400, $"{name} must be an RFC 3339 time or a Unix time in seconds, milliseconds, microseconds or nanoseconds.");
    }

    /// <summary>An RFC 3339 time (UTC unless it says otherwise) in Unix µs.</summary>
    internal static bool TryParseDate(string text, out long micros)
    {
        var parsed = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time);
        micros = parsed ? (time.UtcTicks - DateTime.UnixEpoch.Ticks) / 10 : 0;
        return parsed;
    }

    private static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ResultWriter.ErrorJson(message), context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The JSON body of <c>POST /api/v1/sql</c> (for the OpenAPI document; the endpoint reads the fields itself).</summary>
/// <param name="Query">One SELECT statement over logs, spans and metrics.</param>
/// <param name="Start">Only rows at or after this time (RFC 3339, or Unix time in s, ms, µs or ns).</param>
/// <param name="End">Only rows before this time.</param>
/// <param name="Limit">The most rows returned.</param>
/// <param name="Format">json, ndjson, csv, parquet, objects or arrow.</param>
/// <param name="Snapshot">Read this snapshot id (time travel).</param>
/// <param name="As_of">Read the snapshot current at this time (time travel).</param>
public sealed record SqlRequestDocument(string Query, string? Start, string? End, int? Limit, string? Format, long? Snapshot, string? As_of);

/// <summary>A JSON result (for the OpenAPI document; results are streamed, not serialized from this).</summary>
/// <param name="Columns">Name and DuckDB type of each column.</param>
/// <param name="Rows">The rows, each an array in column order.</param>
/// <param name="Truncated">Whether the row limit cut the result short.</param>
/// <param name="Stats">What the query read and how long it took.</param>
public sealed record SqlResultDocument(IReadOnlyList<SqlColumnDocument> Columns, IReadOnlyList<IReadOnlyList<JsonElement>> Rows, bool Truncated, SqlStatsDocument Stats);

/// <summary>A result column.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Type">Its DuckDB type.</param>
public sealed record SqlColumnDocument(string Name, string Type);

/// <summary>A result's stats.</summary>
/// <param name="SnapshotId">The snapshot read.</param>
/// <param name="FilesConsidered">Data files the manifests listed.</param>
/// <param name="FilesPruned">Of those, files skipped by partition values and column bounds.</param>
/// <param name="FilesSkippedByIndex">Of the rest, files skipped by their skipping index (trace and span ids, indexed attributes).</param>
/// <param name="FilesScanned">Files read: data files and WAL segments.</param>
/// <param name="WalSegments">WAL segments read.</param>
/// <param name="ObjectsFetched">Objects fetched from the store into the local cache.</param>
/// <param name="BytesFetched">Their bytes.</param>
/// <param name="CacheHits">Objects found in the local cache.</param>
/// <param name="Rows">Rows returned.</param>
/// <param name="Truncated">Whether the row limit cut the result short.</param>
/// <param name="ElapsedMs">Time from request to last row.</param>
public sealed record SqlStatsDocument(long? SnapshotId, int FilesConsidered, int FilesPruned, int FilesSkippedByIndex, int FilesScanned, int WalSegments, int ObjectsFetched, long BytesFetched, int CacheHits, long Rows, bool Truncated, long ElapsedMs);

/// <summary>The body of a refused or failed query.</summary>
/// <param name="Error">What went wrong; for bad SQL, DuckDB's own message.</param>
public sealed record SqlErrorDocument(string Error);
