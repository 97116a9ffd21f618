using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static IceGate.Server.Tests.LogQL.Ref;

namespace IceGate.Server.Tests.LogQL;

/// <summary>
/// The LogQL conformance table: every selector, filter, parser, format and aggregation form, run
/// through the real binary's Loki API over the fixture's dataset and compared with what the
/// reference evaluator (<see cref="Ref"/>: LINQ over the generated records, brute-force windows)
/// says the answer is.
/// </summary>
public sealed class LogQLConformanceTests(LokiFixture fixture) : IClassFixture<LokiFixture>
{
    private const long Minute = 60_000_000;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private long Start => fixture.StartMicros;

    private long End => fixture.StartMicros + (60 * Minute);

    // ---- the pieces the table combines ----
    private static Piece Checkout { get; } = Selector("{service_name=\"checkout\"}", s => Get(s, "service_name") == "checkout");
    private static Piece Payments { get; } = Selector("{service_name=\"payments\"}", s => Get(s, "service_name") == "payments");
    private static Piece Nginx { get; } = Selector("{job=\"nginx\"}", s => Get(s, "job") == "nginx");
    private static Piece Worker { get; } = Selector("{job=\"worker\"}", s => Get(s, "job") == "worker");
    private static Piece Everything { get; } = Selector("{service_name=~\".+\"}", s => Get(s, "service_name").Length > 0);

    private static readonly Piece[] s_selectors =
    [
        Checkout,
        Selector("{service_name=~\"pay.*|work.*\"}", s => Full("pay.*|work.*", Get(s, "service_name"))),
        Nginx,
        Selector("{job!=\"nginx\", job=~\".+\"}", s => Get(s, "job") != "nginx" && Get(s, "job").Length > 0),
        Selector("{k8s_namespace_name=\"shop\", deployment_environment=\"prod\"}", s => Get(s, "k8s_namespace_name") == "shop" && Get(s, "deployment_environment") == "prod"),
        Selector("{level=\"error\"}", s => Get(s, "level") == "error"),
        Selector("{detected_level=~\"warn|error\"}", s => Full("warn|error", Get(s, "detected_level"))),
        Selector("{host_name!~\"host-(a|b)\", service_name=~\".+\"}", s => !Full("host-(a|b)", Get(s, "host_name"))),
        Selector("{env=\"dev\"}", s => Get(s, "env") == "dev"),
        Selector("{k8s_pod_name=~\"checkout-[01]\"}", s => Full("checkout-[01]", Get(s, "k8s_pod_name"))),
        Selector("{app=\"gateway\", env!=\"dev\"}", s => Get(s, "app") == "gateway" && Get(s, "env") != "dev"),
        Selector("{service_name=~\"(?i)CHECKOUT|payments\"}", s => Get(s, "service_name") is "checkout" or "payments"),
    ];

    private static readonly Piece?[] s_lineFilters =
    [
        null,
        Contains("POST"),
        NotContains("GET"),
        Matches("status\"?[=:]5\\d\\d|\" 5\\d\\d "),
        NotMatches("(?i)error|failed"),
        Contains("/cart", "/pay"),
        Contains("GET") + Matches("(?i)ITEMS"),
    ];

    public static IEnumerable<Piece> LogQueries()
    {
        foreach (var selector in s_selectors)
        {
            foreach (var filter in s_lineFilters)
            {
                yield return filter is null ? selector : selector + filter;
            }
        }

        var json = Checkout + Json;
        var clean = json + Label("__error__=\"\"", Is(Error, ""));
        var status = Label("status >= 500", Compare("status", v => v >= 500, Number));
        yield return json;
        yield return clean;
        yield return json + status;
        yield return clean + Label("status == 404 or method=\"DELETE\"", l => Compare("status", v => v == 404, Number)(l) || Is("method", "DELETE")(l));
        yield return Checkout + JsonFields(("code", "status", "status"), ("who", "user.id", "user_id"), ("tier", "user[\\\"tier\\\"]", "user_tier"));
        yield return json + Label("user_tier=\"gold\" and duration > 500ms", l => Is("user_tier", "gold")(l) && Compare("duration", v => v > 0.5, Seconds)(l));
        yield return clean + LineFormat("{{.method}} {{.path}} {{.status}}", l => $"{l.Labels["method"]} {l.Labels["path"]} {l.Labels["status"]}");
        yield return clean + Keep("service_name", "status");
        yield return json + Drop("__error__", "user_id", "user_tier", "msg");
        yield return Checkout + Contains("POST") + Json + Label("__error__=\"\"", Is(Error, "")) + LineFormat("{{ToLower .method}}:{{.user_tier}}", l => $"{l.Labels["method"].ToLowerInvariant()}:{l.Labels["user_tier"]}");
        yield return json + Label("msg=~\".*error.*\"", Like("msg", ".*error.*"));
        yield return json + Label("path!=\"/cart\", user_id <= 10", l => IsNot("path", "/cart")(l) && Compare("user_id", v => v <= 10, Number)(l));

        var logfmt = Payments + Logfmt;
        yield return logfmt;
        yield return logfmt + Label("size > 2KB", Compare("size", v => v > 2000, Bytes));
        yield return logfmt + Label("duration >= 250ms, status != 200", l => Compare("duration", v => v >= 0.25, Seconds)(l) && Compare("status", v => v != 200, Number)(l));
        yield return Payments + LogfmtFields(("user", "user"), ("s", "status"));
        yield return logfmt + Label("status=~\"5..\"", Like("status", "5.."));
        yield return logfmt + LineFormat("{{.msg}}", l => l.Labels["msg"]) + Contains("declined");
        yield return logfmt + Label("size <= 1KB or size >= 5KB", l => Compare("size", v => v <= 1000, Bytes)(l) || Compare("size", v => v >= 5000, Bytes)(l));

        var worker = Worker + Logfmt;
        yield return worker;
        yield return worker + Label("result=\"failed\"", Is("result", "failed")) + LineFormat("{{.task | upper}} after {{.attempt}}", l => $"{l.Labels["task"].ToUpperInvariant()} after {l.Labels["attempt"]}");
        yield return worker + Label("duration > 1s", Compare("duration", v => v > 1, Seconds));
        yield return worker + Label("attempt > 1 and (result=\"failed\" or duration < 500ms)", l => Compare("attempt", v => v > 1, Number)(l) && (Is("result", "failed")(l) || Compare("duration", v => v < 0.5, Seconds)(l)));
        yield return worker + Label("job_extracted=\"batch\"", Is("job_extracted", "batch")) + Drop("job_extracted", "task");
        yield return worker + LabelFormat("outcome=result, summary=\"{{.task}}/{{.attempt}}\"", l =>
        {
            var summary = $"{l.Labels["task"]}/{l.Labels["attempt"]}";
            l.Labels["outcome"] = l.Labels["result"];
            l.Labels.Remove("result");
            l.Labels["summary"] = summary;
        });

        var pattern = Nginx + Pattern;
        yield return pattern;
        yield return pattern + Label("status >= 400", Compare("status", v => v >= 400, Number));
        yield return pattern + Label("size > 1KB", Compare("size", v => v > 1000, Bytes));
        yield return pattern + LabelFormat("code=status", l =>
        {
            l.Labels["code"] = l.Labels["status"];
            l.Labels.Remove("status");
        }) + Drop("ip", "size", "duration", "method", "path");
        yield return Nginx + Regexp;
        yield return Nginx + Regexp + LabelFormat("route=\"{{.method}} {{.path}}\"", l => l.Labels["route"] = $"{l.Labels["method"]} {l.Labels["path"]}") + Keep("route", "app");
        yield return Nginx + Contains("DELETE") + Regexp + Label("path=~\"/api/.*\"", Like("path", "/api/.*"));
    }

    [Fact]
    public async Task Log_queries_return_what_the_reference_evaluator_returns()
    {
        var failures = new List<string>();
        var queries = LogQueries().ToList();
        foreach (var query in queries)
        {
            var expected = Logs(fixture.Records, query, Start, End, 5000, forward: false);
            var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(query.Text)}&start={Start * 1000}&end={End * 1000}&limit=5000", token: Token);
            if (status != HttpStatusCode.OK)
            {
                failures.Add($"{query.Text}: {status} {body}");
                continue;
            }

            var actual = Entries(json!);
            if (expected.Count == 0 && query.Text.Contains("|=", StringComparison.Ordinal) is false && query.Text.Contains("!=", StringComparison.Ordinal) is false && query.Text.Contains("| ", StringComparison.Ordinal) is false)
            {
                failures.Add($"{query.Text}: the dataset has no lines for this selector, so it checks nothing");
            }

            CompareEntries(query.Text, expected.OrderBy(e => e.Micros).ThenBy(e => e.Stream).ToList(), actual.OrderBy(e => e.Micros).ThenBy(e => e.Stream).ToList(), failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {queries.Count} log queries differ:\n{string.Join("\n", failures.Take(20))}");
    }

    [Fact]
    public void The_table_has_at_least_150_queries()
    {
        var total = LogQueries().Count() + MetricQueries().Count() + s_limitCases.Length + InstantCases().Length;
        Assert.True(total >= 150, $"the conformance table has {total} queries");
    }

    [Fact]
    public async Task Limit_and_direction_pick_the_newest_or_oldest_lines()
    {
        var failures = new List<string>();
        foreach (var (query, limit, forward) in s_limitCases)
        {
            var expected = Logs(fixture.Records, query, Start, End, limit, forward);
            var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(query.Text)}&start={Start * 1000}&end={End * 1000}&limit={limit}&direction={(forward ? "forward" : "backward")}", token: Token);
            Assert.True(status == HttpStatusCode.OK, body);
            var actual = Entries(json!);
            Assert.Equal(limit, actual.Count);
            CompareEntries(query.Text, [.. expected.OrderBy(e => e.Micros)], [.. actual.OrderBy(e => e.Micros)], failures);
            foreach (var stream in json!["data"]!["result"]!.AsArray())
            {
                var times = stream!["values"]!.AsArray().Select(v => long.Parse(v![0]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(forward ? times.Order() : times.OrderDescending(), times);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Log_queries_over_long_ranges_give_the_same_lines_as_over_the_data_alone()
    {
        // The evaluator reads long ranges in slices from the end it starts at (1 h, 2 h, 4 h, …):
        // these ranges put the dataset's hour in a later slice, or across two.
        var failures = new List<string>();
        var ranges = new (long Start, long End)[] { (Start - (20 * Minute), End + (150 * Minute)), (Start - (300 * Minute), End + (30 * Minute)) };
        foreach (var (from, to) in ranges)
        {
            foreach (var (query, limit, forward) in s_limitCases.Append((Worker + Logfmt + Label("result=\"failed\"", Is("result", "failed")), 5000, false)))
            {
                var expected = Logs(fixture.Records, query, from, to, limit, forward);
                var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(query.Text)}&start={from * 1000}&end={to * 1000}&limit={limit}&direction={(forward ? "forward" : "backward")}", token: Token);
                Assert.True(status == HttpStatusCode.OK, body);
                CompareEntries($"{query.Text} over [{from}, {to})", [.. expected.OrderBy(e => e.Micros)], [.. Entries(json!).OrderBy(e => e.Micros)], failures);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static readonly (Piece Query, int Limit, bool Forward)[] s_limitCases =
    [
        (Everything, 17, false),
        (Everything, 17, true),
        (Checkout + Json + Label("status >= 500", Compare("status", v => v >= 500, Number)), 9, false),
        (Nginx + Contains("POST"), 5, true),
    ];

    /// <summary>Metric queries: (LogQL, step, expected).</summary>
    private IEnumerable<(string Query, long Step, Matrix Expected)> MetricQueries()
    {
        var step = Minute;
        var times = Steps(Start, End, step).ToList();
        Matrix R(string op, Piece query, long range, long offset = 0, double? parameter = null, Func<Dictionary<string, string>, Dictionary<string, string>>? grouping = null, IEnumerable<long>? at = null) =>
            Ref.Range(fixture.Records, op, query, range, offset, at ?? times, parameter, grouping);

        foreach (var op in (string[])["count_over_time", "rate", "bytes_over_time", "bytes_rate"])
        {
            foreach (var query in (Piece[])[Checkout, Nginx, s_selectors[5], s_selectors[1] + Contains("POST")])
            {
                yield return ($"{op}({query.Text} [5m])", step, R(op, query, 5 * Minute));
            }
        }

        var all = Everything;
        var counts = R("count_over_time", all, 5 * Minute);
        yield return ("sum by (service_name) (count_over_time({service_name=~\".+\"}[5m]))", step, Aggregate(counts, "sum", By("service_name")));
        yield return ("sum by (level, detected_level) (count_over_time({service_name=~\".+\"} | drop __error__ [1m]))", step, Aggregate(R("count_over_time", all, Minute), "sum", By("level", "detected_level")));
        yield return ("sum without (host_name, k8s_pod_name) (count_over_time({service_name=~\".+\"}[5m]))", step, Aggregate(counts, "sum", Without("host_name", "k8s_pod_name")));
        yield return ("count(count_over_time({service_name=~\".+\"}[5m]))", step, Aggregate(counts, "count", _ => []));
        yield return ("count by (service_name) (count_over_time({service_name=~\".+\"}[5m]))", step, Aggregate(counts, "count", By("service_name")));
        yield return ("max by (service_name) (count_over_time({service_name=~\".+\"}[5m]))", step, Aggregate(counts, "max", By("service_name")));
        yield return ("min(count_over_time({service_name=~\".+\"}[5m])) by (job)", step, Aggregate(counts, "min", By("job")));
        yield return ("avg without (level, detected_level) (rate({service_name=~\".+\"}[5m]))", step, Aggregate(R("rate", all, 5 * Minute), "avg", Without("level", "detected_level")));
        // Every service logs as often as the others: bytes tell them apart, so that topk has no ties to break.
        yield return ("topk(2, sum by (service_name) (bytes_over_time({service_name=~\".+\"}[5m])))", step, Top(Aggregate(R("bytes_over_time", all, 5 * Minute), "sum", By("service_name")), 2, highest: true));
        yield return ("bottomk(1, sum by (service_name) (bytes_over_time({service_name=~\".+\"}[5m])))", step, Top(Aggregate(R("bytes_over_time", all, 5 * Minute), "sum", By("service_name")), 1, highest: false));
        yield return ("sum(count_over_time({service_name=~\".+\"} |= \"POST\" [2m]))", step, Aggregate(R("count_over_time", all + Contains("POST"), 2 * Minute), "sum", _ => []));

        // Windows that are not a multiple of the step, and steps that are not a multiple of the window.
        var odd = Steps(Start, End, 45_000_000).ToList();
        yield return ("count_over_time({job=\"nginx\"}[2m])", 45_000_000, R("count_over_time", Nginx, 2 * Minute, at: odd));
        yield return ("sum by (env) (count_over_time({job=\"nginx\"}[20s]))", 45_000_000, Aggregate(R("count_over_time", Nginx, 20_000_000, at: odd), "sum", By("env")));
        yield return ("count_over_time({job=\"nginx\"}[5m] offset 10m)", step, R("count_over_time", Nginx, 5 * Minute, offset: 10 * Minute));
        yield return ("count_over_time({job=\"nginx\"}[5m] |= \"POST\")", step, R("count_over_time", Nginx + Contains("POST"), 5 * Minute));
        yield return ("absent_over_time({job=\"nope\"}[5m])", step, Relabel(R("absent_over_time", Selector("{job=\"nope\"}", _ => false), 5 * Minute), new() { ["job"] = "nope" }));
        yield return ("absent_over_time({job=\"nginx\"}[1m])", step, Relabel(R("absent_over_time", Nginx, Minute), new() { ["job"] = "nginx" }));

        // Parsers, filters and unwrap in metric queries (the .NET pipeline).
        var clean = Checkout + Json + Label("__error__=\"\"", Is(Error, ""));
        yield return ("sum by (status) (count_over_time({service_name=\"checkout\"} | json | __error__=\"\" [5m]))", step, Aggregate(R("count_over_time", clean, 5 * Minute), "sum", By("status")));
        yield return ("sum by (method) (rate({job=\"nginx\"} | pattern \"" + AccessPattern + "\" [2m]))", step, Aggregate(R("rate", Nginx + Pattern, 2 * Minute), "sum", By("method")));
        yield return ("sum(count_over_time({service_name=\"checkout\"} | json | status >= 500 [5m]))", step, Aggregate(R("count_over_time", Checkout + Json + Label("status >= 500", Compare("status", v => v >= 500, Number)), 5 * Minute), "sum", _ => []));
        var payments = Payments + Logfmt;
        foreach (var op in (string[])["sum_over_time", "avg_over_time", "min_over_time", "max_over_time"])
        {
            yield return ($"{op}({payments.Text} | unwrap duration(duration) [5m]) by (status)", step, R(op, payments + Unwrap("duration(duration)", "duration", Seconds), 5 * Minute, grouping: By("status")));
        }

        yield return ($"quantile_over_time(0.9, {payments.Text} | unwrap duration(duration) [10m]) by (service_name)", step, R("quantile_over_time", payments + Unwrap("duration(duration)", "duration", Seconds), 10 * Minute, 0, 0.9, By("service_name")));
        yield return ($"sum by (service_name) (sum_over_time({payments.Text} | unwrap bytes(size) [5m]))", step, Aggregate(R("sum_over_time", payments + Unwrap("bytes(size)", "size", Bytes), 5 * Minute), "sum", By("service_name")));
        yield return ($"max_over_time({payments.Text} | unwrap user [5m]) by (level)", step, R("max_over_time", payments + Unwrap("user", "user", Number), 5 * Minute, grouping: By("level")));
        yield return ($"avg_over_time({{job=\"nginx\"}} | pattern \"{AccessPattern}\" | unwrap size [3m]) without (ip, path, method, duration, status)", step, R("avg_over_time", Nginx + Pattern + Unwrap("size", "size", Number), 3 * Minute, grouping: Without("ip", "path", "method", "duration", "status")));

        // Binary operators and literals.
        var nginx = Aggregate(R("count_over_time", Nginx, 5 * Minute), "sum", _ => []);
        var checkout = Aggregate(R("count_over_time", Checkout, 5 * Minute), "sum", _ => []);
        var byService = Aggregate(counts, "sum", By("service_name"));
        yield return ("sum(count_over_time({job=\"nginx\"}[5m])) / 2", step, Map(nginx, v => v / 2));
        yield return ("2 * sum(count_over_time({job=\"nginx\"}[5m]))", step, Map(nginx, v => 2 * v));
        yield return ("sum(count_over_time({job=\"nginx\"}[5m])) + sum(count_over_time({service_name=\"checkout\"}[5m]))", step, Join(nginx, checkout, (a, b) => a + b));
        yield return ("sum(count_over_time({job=\"nginx\"}[5m])) - sum(count_over_time({service_name=\"checkout\"}[5m]))", step, Join(nginx, checkout, (a, b) => a - b));
        yield return ("sum by (service_name) (count_over_time({service_name=~\".+\"}[5m])) > 24", step, Map(byService, v => v > 24 ? v : null));
        yield return ("sum by (service_name) (count_over_time({service_name=~\".+\"}[5m])) > bool 24", step, Map(byService, v => v > 24 ? 1 : 0));
        yield return ("sum by (service_name) (count_over_time({service_name=~\".+\"}[5m])) % 7", step, Map(byService, v => v % 7));
        yield return ("sum by (service_name) (count_over_time({service_name=~\".+\"}[5m])) ^ 2", step, Map(byService, v => v * v));
        yield return ("-sum(count_over_time({job=\"nginx\"}[5m]))", step, Map(nginx, v => -v));
        yield return ("vector(1) + vector(1)", step, Constant(times, 2));
        yield return ("1 + 2 * 3", step, Constant(times, 7));
        yield return ("sum(count_over_time({job=\"nginx\"}[5m])) and sum(count_over_time({job=\"nope\"}[5m]))", step, new Matrix());
        yield return ("sum(count_over_time({job=\"nope\"}[5m])) or vector(0)", step, Constant(times, 0));
        yield return ("sum by (service_name) (count_over_time({service_name=~\".+\"}[5m])) unless sum by (service_name) (count_over_time({service_name=\"checkout\"}[5m]))", step, WithoutService(byService, "checkout"));
    }

    private static Matrix Relabel(Matrix input, Dictionary<string, string> labels)
    {
        var result = new Matrix();
        foreach (var series in input.Values)
        {
            foreach (var (t, v) in series)
            {
                result.Set(labels, t, v);
            }
        }

        return result;
    }

    private static Matrix WithoutService(Matrix input, string service)
    {
        var result = new Matrix();
        foreach (var (key, series) in input.Where(s => input.LabelsOf[s.Key]["service_name"] != service))
        {
            foreach (var (t, v) in series)
            {
                result.Set(input.LabelsOf[key], t, v);
            }
        }

        return result;
    }

    [Fact]
    public async Task Metric_queries_return_what_the_reference_evaluator_returns()
    {
        var failures = new List<string>();
        var queries = MetricQueries().ToList();
        foreach (var (query, step, expected) in queries)
        {
            var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(query)}&start={Start * 1000}&end={End * 1000}&step={step / 1000}ms", token: Token);
            if (status != HttpStatusCode.OK)
            {
                failures.Add($"{query}: {status} {body}");
                continue;
            }

            Assert.Equal("matrix", json!["data"]!["resultType"]!.GetValue<string>());
            CompareMatrix(query, expected, ParseMatrix(json["data"]!["result"]!.AsArray(), "values"), failures);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {queries.Count} metric queries differ:\n{string.Join("\n", failures.Take(15))}");
    }

    /// <summary>Instant queries at one time, written in each time form Loki accepts: (LogQL, time parameter, expected).</summary>
    private (string Query, string Time, Matrix Expected)[] InstantCases()
    {
        var at = Start + (30 * Minute) + 1_500_000;
        var times = new[] { at };
        return
        [
            ("sum by (service_name) (count_over_time({service_name=~\".+\"}[10m]))", (at * 1000).ToString(CultureInfo.InvariantCulture), Aggregate(Ref.Range(fixture.Records, "count_over_time", Everything, 10 * Minute, 0, times), "sum", By("service_name"))),
            ("count_over_time({job=\"worker\"}[90s])", (at / 1e6).ToString("0.0##", CultureInfo.InvariantCulture), Ref.Range(fixture.Records, "count_over_time", Worker, 90_000_000, 0, times)),
            ("sum(rate({service_name=\"checkout\"} |= \"POST\" [5m]))", DateTime.UnixEpoch.AddTicks(at * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), Aggregate(Ref.Range(fixture.Records, "rate", Checkout + Contains("POST"), 5 * Minute, 0, times), "sum", _ => [])),
            ("topk(1, sum by (job) (bytes_over_time({job=~\".+\"}[15m])))", (at * 1000).ToString(CultureInfo.InvariantCulture), Top(Aggregate(Ref.Range(fixture.Records, "bytes_over_time", Selector("{job=~\".+\"}", s => Get(s, "job").Length > 0), 15 * Minute, 0, times), "sum", By("job")), 1, highest: true)),
            ("vector(1)+vector(1)", (at * 1000).ToString(CultureInfo.InvariantCulture), Constant(times, 2)),
        ];
    }

    [Fact]
    public async Task Instant_queries_evaluate_at_one_time_with_every_time_form()
    {
        var failures = new List<string>();
        foreach (var (query, time, expected) in InstantCases())
        {
            var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query?query={Uri.EscapeDataString(query)}&time={Uri.EscapeDataString(time)}", token: Token);
            if (status != HttpStatusCode.OK)
            {
                failures.Add($"{query}: {status} {body}");
                continue;
            }

            Assert.Equal("vector", json!["data"]!["resultType"]!.GetValue<string>());
            CompareMatrix(query, expected, ParseMatrix(json["data"]!["result"]!.AsArray(), "value"), failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static List<(string Stream, long Micros, string Line)> Entries(JsonNode json)
    {
        var entries = new List<(string, long, string)>();
        Assert.Equal("streams", json["data"]!["resultType"]!.GetValue<string>());
        foreach (var stream in json["data"]!["result"]!.AsArray())
        {
            var labels = stream!["stream"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
            foreach (var value in stream["values"]!.AsArray())
            {
                entries.Add((Key(labels), long.Parse(value![0]!.GetValue<string>(), CultureInfo.InvariantCulture) / 1000, value[1]!.GetValue<string>()));
            }
        }

        return entries;
    }

    private static void CompareEntries(string query, List<(string Stream, long Micros, string Line)> expected, List<(string Stream, long Micros, string Line)> actual, List<string> failures)
    {
        if (expected.SequenceEqual(actual))
        {
            return;
        }

        var missing = expected.Except(actual).Take(2).Select(e => $"missing {e}");
        var extra = actual.Except(expected).Take(2).Select(e => $"unexpected {e}");
        failures.Add($"{query}: {expected.Count} lines expected, {actual.Count} returned; {string.Join("; ", missing.Concat(extra))}");
    }

    private static Matrix ParseMatrix(JsonArray result, string valuesProperty)
    {
        var matrix = new Matrix();
        foreach (var series in result)
        {
            var labels = series!["metric"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
            var points = valuesProperty == "value" ? [series["value"]!] : series["values"]!.AsArray().ToList();
            foreach (var point in points)
            {
                var micros = (long)Math.Round(decimal.Parse(point![0]!.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) * 1_000_000);
                matrix.Set(labels, micros, double.Parse(point[1]!.GetValue<string>(), CultureInfo.InvariantCulture));
            }
        }

        return matrix;
    }

    private static void CompareMatrix(string query, Matrix expected, Matrix actual, List<string> failures)
    {
        var problems = new StringBuilder();
        foreach (var key in expected.Keys.Union(actual.Keys))
        {
            if (!expected.TryGetValue(key, out var want))
            {
                problems.Append(CultureInfo.InvariantCulture, $" unexpected series {key};");
                continue;
            }

            if (!actual.TryGetValue(key, out var got))
            {
                problems.Append(CultureInfo.InvariantCulture, $" missing series {key};");
                continue;
            }

            foreach (var t in want.Keys.Union(got.Keys))
            {
                var a = want.TryGetValue(t, out var x) ? x : (double?)null;
                var b = got.TryGetValue(t, out var y) ? y : (double?)null;
                if (a is null || b is null || Math.Abs(a.Value - b.Value) > 1e-9 * Math.Max(1, Math.Abs(a.Value)))
                {
                    problems.Append(CultureInfo.InvariantCulture, $" {key} at {t}: expected {a?.ToString(CultureInfo.InvariantCulture) ?? "none"}, got {b?.ToString(CultureInfo.InvariantCulture) ?? "none"};");
                    break;
                }
            }
        }

        if (expected.Count == 0 && !query.Contains("nope", StringComparison.Ordinal) && !query.Contains("absent", StringComparison.Ordinal))
        {
            problems.Append(" the reference gives no series, so the case checks nothing;");
        }

        if (problems.Length > 0)
        {
            failures.Add($"{query}:{problems}");
        }
    }
}
