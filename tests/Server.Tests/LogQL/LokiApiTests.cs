using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using IceGate.Tests;

namespace IceGate.Server.Tests.LogQL;

/// <summary>
/// The requests Grafana's Loki data source makes, replayed against the real binary with their
/// response shapes checked field by field; Loki push round trips; errors; tenant isolation.
/// </summary>
public sealed class LokiApiTests(LokiFixture fixture) : IClassFixture<LokiFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Window => $"start={fixture.StartMicros * 1000}&end={(fixture.StartMicros + 3_600_000_000) * 1000}";

    private int NginxLines => fixture.Records.Count(r => r.Stream.GetValueOrDefault("job") == "nginx");

    [Fact]
    public async Task Grafana_save_and_test_gets_one_sample_of_two_and_build_info()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query?query={Uri.EscapeDataString("vector(1)+vector(1)")}&time={now}", token: Token);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("success", json!["status"]!.GetValue<string>());
        Assert.Equal("vector", json["data"]!["resultType"]!.GetValue<string>());
        var sample = Assert.Single(json["data"]!["result"]!.AsArray())!;
        Assert.Empty(sample["metric"]!.AsObject());
        Assert.Equal(now / 1e9, sample["value"]![0]!.GetValue<double>(), 3);
        Assert.Equal("2", sample["value"]![1]!.GetValue<string>());
        CheckStats(json["data"]!["stats"]!);

        var (buildStatus, _, build) = await fixture.GetAsync("/loki/api/v1/status/buildinfo", token: Token);
        Assert.Equal(HttpStatusCode.OK, buildStatus);
        Assert.False(string.IsNullOrEmpty(build!["version"]!.GetValue<string>()));
        var (readyStatus, ready, _) = await fixture.GetAsync("/ready", token: Token);
        Assert.Equal(HttpStatusCode.OK, readyStatus);
        Assert.Equal("ready", ready.Trim());
    }

    [Fact]
    public async Task Grafana_label_browser_lists_labels_values_and_series()
    {
        var (status, body, labels) = await fixture.GetAsync($"/loki/api/v1/labels?{Window}", token: Token);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("success", labels!["status"]!.GetValue<string>());
        Assert.Equal(
            ["app", "deployment_environment", "detected_level", "env", "host_name", "job", "k8s_namespace_name", "k8s_pod_name", "level", "service_name"],
            labels["data"]!.AsArray().Select(n => n!.GetValue<string>()));

        var (_, _, values) = await fixture.GetAsync($"/loki/api/v1/label/service_name/values?{Window}", token: Token);
        Assert.Equal(["checkout", "gateway", "payments", "worker"], values!["data"]!.AsArray().Select(n => n!.GetValue<string>()));
        var (_, _, filtered) = await fixture.GetAsync($"/loki/api/v1/label/k8s_pod_name/values?{Window}&query={Uri.EscapeDataString("{service_name=\"checkout\"}")}", token: Token);
        Assert.Equal(["checkout-0", "checkout-1", "checkout-2"], filtered!["data"]!.AsArray().Select(n => n!.GetValue<string>()));

        var (_, _, series) = await fixture.GetAsync($"/loki/api/v1/series?{Window}&match[]={Uri.EscapeDataString("{job=\"nginx\"}")}&match[]={Uri.EscapeDataString("{service_name=\"worker\", level=\"error\"}")}", token: Token);
        Assert.Equal("success", series!["status"]!.GetValue<string>());
        var sets = series["data"]!.AsArray().Select(s => Ref.Key(s!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()))).Order().ToList();
        var expected = fixture.Records.Where(r => r.Stream.GetValueOrDefault("job") == "nginx" || (r.Stream["service_name"] == "worker" && r.Stream["level"] == "error")).Select(r => Ref.Key(r.Stream)).Distinct().Order().ToList();
        Assert.Equal(expected, sets);

        // The label browser's "use as selector" POSTs the form too.
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("match[]", "{job=\"worker\"}"), KeyValuePair.Create("start", (fixture.StartMicros * 1000).ToString(CultureInfo.InvariantCulture))]);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Process.QueryUrl, "/loki/api/v1/series")) { Content = form };
        request.Headers.Add("X-Scope-OrgID", LokiFixture.Tenant);
        using var response = await fixture.Http.SendAsync(request, Token);
        var posted = JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;
        Assert.Equal(3, posted["data"]!.AsArray().Count);
    }

    [Fact]
    public async Task Grafana_explore_logs_and_log_volume_have_loki_shapes()
    {
        // Explore: a log query with Grafana's step and limit.
        var (status, body, logs) = await fixture.GetAsync($"/loki/api/v1/query_range?direction=backward&{Window}&limit=1000&query={Uri.EscapeDataString("{job=\"nginx\"} |= \"GET\"")}&step=15000ms", token: Token);
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("success", logs!["status"]!.GetValue<string>());
        Assert.Equal("streams", logs["data"]!["resultType"]!.GetValue<string>());
        var streams = logs["data"]!["result"]!.AsArray();
        Assert.NotEmpty(streams);
        foreach (var stream in streams)
        {
            Assert.Equal(["stream", "values"], stream!.AsObject().Select(p => p.Key));
            Assert.All(stream["stream"]!.AsObject(), p => Assert.Equal(System.Text.Json.JsonValueKind.String, p.Value!.GetValueKind()));
            foreach (var value in stream["values"]!.AsArray())
            {
                Assert.Equal(2, value!.AsArray().Count);
                Assert.Matches("^[0-9]{19}$", value[0]!.GetValue<string>());
                Assert.Contains("GET", value[1]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }

        var lines = streams.Sum(s => s!["values"]!.AsArray().Count);
        Assert.Equal(fixture.Records.Count(r => r.Stream.GetValueOrDefault("job") == "nginx" && r.Line.Contains("GET", StringComparison.Ordinal)), lines);
        var stats = logs["data"]!["stats"]!;
        CheckStats(stats);
        Assert.Equal(lines, stats["summary"]!["totalEntriesReturned"]!.GetValue<long>());
        Assert.True(stats["summary"]!["totalLinesProcessed"]!.GetValue<long>() >= lines);

        // The log volume histogram Grafana draws under Explore.
        var volumeQuery = "sum by (level, detected_level) (count_over_time({job=\"nginx\"} |= \"GET\" | drop __error__[1m]))";
        var (_, _, volume) = await fixture.GetAsync($"/loki/api/v1/query_range?direction=backward&{Window}&limit=1000&query={Uri.EscapeDataString(volumeQuery)}&step=60000ms", token: Token);
        Assert.Equal("matrix", volume!["data"]!["resultType"]!.GetValue<string>());
        var series = Assert.Single(volume["data"]!["result"]!.AsArray())!;
        Assert.Equal("{\"detected_level\":\"unknown\",\"level\":\"unknown\"}", series["metric"]!.ToJsonString());
        var points = series["values"]!.AsArray();
        Assert.All(points, p =>
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Number, p![0]!.GetValueKind());
            Assert.True(double.Parse(p[1]!.GetValue<string>(), CultureInfo.InvariantCulture) > 0);
        });
        Assert.Equal(lines, points.Sum(p => long.Parse(p![1]!.GetValue<string>(), CultureInfo.InvariantCulture)));

        // Index stats and volume, which Grafana asks for before running a query.
        var (_, _, index) = await fixture.GetAsync($"/loki/api/v1/index/stats?{Window}&query={Uri.EscapeDataString("{job=\"nginx\"}")}", token: Token);
        Assert.Equal(["streams", "chunks", "entries", "bytes"], index!.AsObject().Select(p => p.Key));
        Assert.Equal(2, index["streams"]!.GetValue<long>());
        Assert.Equal(NginxLines, index["entries"]!.GetValue<long>());
        var nginxBytes = fixture.Records.Where(r => r.Stream.GetValueOrDefault("job") == "nginx").Sum(r => (long)Encoding.UTF8.GetByteCount(r.Line));
        Assert.Equal(nginxBytes, index["bytes"]!.GetValue<long>());
        Assert.True(index["chunks"]!.GetValue<long>() >= 1);

        var (_, _, byEnv) = await fixture.GetAsync($"/loki/api/v1/index/volume?{Window}&query={Uri.EscapeDataString("{job=\"nginx\"}")}&targetLabels=env&limit=10", token: Token);
        Assert.Equal("vector", byEnv!["data"]!["resultType"]!.GetValue<string>());
        var envs = byEnv["data"]!["result"]!.AsArray().ToDictionary(v => v!["metric"]!["env"]!.GetValue<string>(), v => long.Parse(v!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Equal(nginxBytes, envs.Values.Sum());
        Assert.Equal(fixture.Records.Where(r => r.Stream.GetValueOrDefault("env") == "dev").Sum(r => (long)Encoding.UTF8.GetByteCount(r.Line)), envs["dev"]);

        var (_, _, overTime) = await fixture.GetAsync($"/loki/api/v1/index/volume_range?{Window}&query={Uri.EscapeDataString("{job=\"nginx\"}")}&step=600", token: Token);
        Assert.Equal("matrix", overTime!["data"]!["resultType"]!.GetValue<string>());
        var total = overTime["data"]!["result"]!.AsArray().SelectMany(s => s!["values"]!.AsArray()).Sum(p => long.Parse(p![1]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Equal(nginxBytes, total);
    }

    [Fact]
    public async Task Tail_sends_recent_lines_then_lines_pushed_while_connected()
    {
        const string Tenant = "loki-tail";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        await fixture.PushJsonAsync(Tenant, PushBody("tail", (now - 2_000_000_000, "before the tail")), Token);
        await fixture.WaitForRowsAsync(Tenant, 1, Token);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Scope-OrgID", Tenant);
        var url = new UriBuilder(fixture.Process.QueryUrl) { Scheme = "ws", Path = "/loki/api/v1/tail", Query = $"query={Uri.EscapeDataString("{job=\"tail\"}")}&start={now - 60_000_000_000}" }.Uri;
        await socket.ConnectAsync(url, Token);
        var first = await ReceiveAsync(socket);
        Assert.Equal(["streams", "dropped_entries"], first.AsObject().Select(p => p.Key));
        Assert.Equal("before the tail", first["streams"]![0]!["values"]![0]![1]!.GetValue<string>());
        Assert.Equal("tail", first["streams"]![0]!["stream"]!["job"]!.GetValue<string>());

        await fixture.PushJsonAsync(Tenant, PushBody("tail", (now + 1_000_000, "during the tail")), Token);
        var next = await ReceiveAsync(socket);
        Assert.Equal("during the tail", next["streams"]![0]!["values"]![0]![1]!.GetValue<string>());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Token);
    }

    private static async Task<JsonNode> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);
        return JsonNode.Parse(message.ToArray())!;
    }

    [Fact]
    public async Task Snappy_protobuf_push_round_trips_labels_lines_and_structured_metadata()
    {
        const string Tenant = "loki-push-proto";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var entries = Enumerable.Range(0, 3).Select(i => new Proto()
            .Message(1, new Proto().Varint(1, (ulong)(now / 1_000_000_000) - 10 + (ulong)i).Varint(2, 500_123))
            .String(2, $"proto line {i} ünïcode")
            .Message(3, new Proto().String(1, "trace_id").String(2, $"trace-{i}")).ToArray());
        var stream = new Proto().String(1, "{app=\"shop\", env=\"prod\", level=\"warn\"}");
        foreach (var entry in entries)
        {
            stream.Message(2, entry);
        }

        var push = new Proto().Message(1, stream).ToArray();
        using (var content = new ByteArrayContent(IronSnappy.Snappy.Encode(push)))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Process.QueryUrl, "/loki/api/v1/push")) { Content = content };
            request.Headers.Add("X-Scope-OrgID", Tenant);
            using var response = await fixture.Http.SendAsync(request, Token);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        await fixture.WaitForRowsAsync(Tenant, 3, Token);
        var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("{app=\"shop\"}")}&start={now - 60_000_000_000}&end={now + 1_000_000_000}&direction=forward", Tenant, Token);
        Assert.True(status == HttpStatusCode.OK, body);
        var result = Assert.Single(json!["data"]!["result"]!.AsArray())!;
        Assert.Equal("{\"app\":\"shop\",\"detected_level\":\"warn\",\"env\":\"prod\",\"level\":\"warn\",\"service_name\":\"shop\"}", result["stream"]!.ToJsonString());
        var values = result["values"]!.AsArray();
        Assert.Equal(["proto line 0 ünïcode", "proto line 1 ünïcode", "proto line 2 ünïcode"], values.Select(v => v![1]!.GetValue<string>()));
        // Nanoseconds below the table's microseconds are dropped.
        Assert.Equal((((now / 1_000_000_000) - 10) * 1_000_000_000) + 500_000, long.Parse(values[0]![0]!.GetValue<string>(), CultureInfo.InvariantCulture));

        // Labels went to resource attributes, metadata to log attributes, level to the severity.
        var (_, _, sql) = await fixture.GetAsync("/api/v1/sql?q=" + Uri.EscapeDataString("SELECT service_name, severity_number, resource_attributes['env'], log_attributes['trace_id'] FROM logs ORDER BY \"timestamp\""), Tenant, Token);
        Assert.Equal("[\"shop\",13,\"prod\",\"trace-0\"]", sql!["rows"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task Gzipped_json_push_round_trips_and_bad_pushes_are_refused()
    {
        const string Tenant = "loki-push-json";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        var body = new JsonObject
        {
            ["streams"] = new JsonArray(new JsonObject
            {
                ["stream"] = new JsonObject { ["job"] = "cron", ["host"] = "h1" },
                ["values"] = new JsonArray(
                    new JsonArray((now - 5_000_000_000).ToString(CultureInfo.InvariantCulture), "json line one"),
                    new JsonArray((now - 4_000_000_000).ToString(CultureInfo.InvariantCulture), "json line two", new JsonObject { ["user"] = "u1" }),
                    new JsonArray((now - 3_000_000_000).ToString(CultureInfo.InvariantCulture), "ts=now level=WARN msg=\"disk almost full\""),
                    new JsonArray((now - 2_000_000_000).ToString(CultureInfo.InvariantCulture), "{\"severity\":\"error\",\"msg\":\"disk full\"}")),
            }),
        };
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(body.ToJsonString()), Token);
        }

        Assert.Equal(HttpStatusCode.NoContent, await PushAsync(Tenant, compressed.ToArray(), "application/json", "gzip"));
        await fixture.WaitForRowsAsync(Tenant, 4, Token);
        var (_, _, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("{job=\"cron\"} |= \"two\"")}&start={now - 60_000_000_000}&end={now}", Tenant, Token);
        var result = Assert.Single(json!["data"]!["result"]!.AsArray())!;
        Assert.Equal("{\"detected_level\":\"unknown\",\"host\":\"h1\",\"job\":\"cron\",\"level\":\"unknown\",\"service_name\":\"cron\"}", result["stream"]!.ToJsonString());
        Assert.Equal("json line two", result["values"]![0]![1]!.GetValue<string>());

        // Without a level label, the level comes from the line's own level field, as Loki detects it.
        var (_, _, levels) = await fixture.GetAsync($"/loki/api/v1/query?query={Uri.EscapeDataString("sum by (level) (count_over_time({job=\"cron\"}[1m]))")}&time={now}", Tenant, Token);
        var byLevel = levels!["data"]!["result"]!.AsArray().ToDictionary(r => r!["metric"]!["level"]!.GetValue<string>(), r => r!["value"]![1]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["unknown"] = "2", ["warn"] = "1", ["error"] = "1" }, byLevel);

        Assert.Equal(HttpStatusCode.BadRequest, await PushAsync(Tenant, Encoding.UTF8.GetBytes("{\"streams\":[{\"stream\":{},\"values\":[[\"x\",\"y\"]]}]}"), "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, await PushAsync(Tenant, Encoding.UTF8.GetBytes("not json"), "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, await PushAsync(Tenant, [1, 2, 3, 4, 5], "application/x-protobuf"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, await PushAsync(Tenant, [1], "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, await PushAsync("bad tenant!", Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json"));
        await fixture.WaitForRowsAsync(Tenant, 4, Token);
    }

    private async Task<HttpStatusCode> PushAsync(string tenant, byte[] body, string contentType, string? encoding = null)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Process.QueryUrl, "/loki/api/v1/push")) { Content = content };
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await fixture.Http.SendAsync(request, Token);
        return response.StatusCode;
    }

    [Fact]
    public async Task Bad_queries_get_400_naming_the_position_or_the_construct()
    {
        var cases = new (string Query, string Message)[]
        {
            ("{job=\"nginx\"", "parse error at line 1, col 13"),
            ("{job=\"nginx\"} |= ", "parse error at line 1, col 18"),
            ("{job=\"nginx\"}\n  | json\n  | status >> 5", "parse error at line 3, col 13"),
            ("{job=\"nginx\"}\n |= \"open", "parse error at line 2, col 5: syntax error: unterminated string"),
            ("sum(count_over_time({job=\"nginx\"}[5x]))", "col 35"),
            ("{job=~\".*\"}", "at least one regexp or equality matcher"),
            ("{job=\"nginx\"} | unpack", "unsupported LogQL: the '| unpack' stage"),
            ("stddev(count_over_time({job=\"nginx\"}[5m]))", "unsupported LogQL: 'stddev'"),
            ("sum(count_over_time({job=\"nginx\"}[5m])) + on (job) sum(count_over_time({job=\"nginx\"}[5m]))", "vector matching with 'on'"),
            ("{job=\"nginx\"} | line_format \"{{if .x}}y{{end}}\"", "template action 'if'"),
            ("{job=\"nginx\"} | line_format \"{{ .a | replace \\\"x\\\" }}\"", "'replace' takes 3 value(s)"),
            ("sum_over_time({job=\"nginx\"}[5m])", "needs exactly one '| unwrap <label>'"),
            ("{job=~\"(\"}", "invalid regular expression"),
            ("{job=\"nginx\"} | pattern \"<a><b>\"", "two captures in a row"),
        };
        foreach (var (query, message) in cases)
        {
            var (status, body, _) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(query)}&{Window}", token: Token);
            Assert.True(status == HttpStatusCode.BadRequest, $"{query}: {status} {body}");
            Assert.Contains(message, body, StringComparison.Ordinal);
        }

        foreach (var bad in (string[])["start=yesterday", "step=-5s", "step=1ns", "step=0.0000001", "since=1e21", "end=Infinity", "limit=0", "direction=sideways"])
        {
            var (status, body, _) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("count_over_time({job=\"nginx\"}[5m])")}&{bad}", token: Token);
            Assert.True(status == HttpStatusCode.BadRequest, $"{bad}: {status} {body}");
        }

        var (tooFine, fineBody, _) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("count_over_time({job=\"nginx\"}[5m])")}&start=0&end={fixture.StartMicros * 1000}&step=1s", token: Token);
        Assert.Equal(HttpStatusCode.BadRequest, tooFine);
        Assert.Contains("maximum resolution", fineBody, StringComparison.Ordinal);
        // A series per line at 10,860 one-second buckets each: refused before it takes the memory.
        var perLine = "count_over_time({service_name=~\".+\"} | regexp \"(?P<whole>.*)\" [1m])";
        var (tooMany, manyBody, _) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(perLine)}&start={(fixture.StartMicros - 3_600_000_000) * 1000}&end={(fixture.StartMicros + 7_200_000_000) * 1000}&step=1s", token: Token);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Contains("series at 10,860 time buckets", manyBody, StringComparison.Ordinal);
        var (badTenant, _, _) = await fixture.GetAsync($"/loki/api/v1/labels", "not a tenant!", Token);
        Assert.Equal(HttpStatusCode.BadRequest, badTenant);
    }

    [Fact]
    public async Task A_numeric_label_filter_drops_lines_without_the_label_and_keeps_unconvertible_ones_in_error()
    {
        // grafana/loki pkg/logql/log/label_filter.go: a missing label drops the line ("we have not
        // found this label"); a value that does not parse keeps it with __error__=LabelFilterErr.
        const string Tenant = "loki-missing-label";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
        string[] lines = ["{\"status\":503,\"n\":1}", "{\"msg\":\"no status\",\"n\":2}", "{\"status\":\"teapot\",\"n\":3}", "{\"status\":200,\"n\":4}"];
        await fixture.PushJsonAsync(Tenant, new JsonObject
        {
            ["streams"] = new JsonArray(new JsonObject
            {
                ["stream"] = new JsonObject { ["job"] = "api" },
                ["values"] = new JsonArray([.. lines.Select((line, i) => (JsonNode)new JsonArray((now - 10_000_000_000 + i).ToString(CultureInfo.InvariantCulture), line))]),
            }),
        }, Token);
        await fixture.WaitForRowsAsync(Tenant, lines.Length, Token);
        foreach (var (filter, expected) in new[] { ("status >= 500", new[] { 1, 3 }), ("status < 500", [3, 4]), ("status > 1s", [1, 3, 4]), ("status > 1KB", [3]) })
        {
            var query = $"{{job=\"api\"}} | json | {filter}";
            var (status, body, json) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString(query)}&start={now - 60_000_000_000}&end={now + 1_000_000_000}&direction=forward", Tenant, Token);
            Assert.True(status == HttpStatusCode.OK, body);
            var kept = json!["data"]!["result"]!.AsArray().SelectMany(s => s!["values"]!.AsArray().Select(v => JsonNode.Parse(v![1]!.GetValue<string>())!["n"]!.GetValue<int>())).Order();
            Assert.True(expected.SequenceEqual(kept), $"{query}: kept {string.Join(",", kept)}, expected {string.Join(",", expected)}\n{body}");
        }
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_streams()
    {
        var (_, _, other) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("{job=\"nginx\"}")}&{Window}&limit=5000", LokiFixture.OtherTenant, Token);
        var line = Assert.Single(Assert.Single(other!["data"]!["result"]!.AsArray())!["values"]!.AsArray())!;
        Assert.Contains("secret-of-other", line[1]!.GetValue<string>(), StringComparison.Ordinal);

        var (_, _, mine) = await fixture.GetAsync($"/loki/api/v1/query_range?query={Uri.EscapeDataString("{job=\"nginx\"} |= \"secret\"")}&{Window}&limit=5000", token: Token);
        Assert.Empty(mine!["data"]!["result"]!.AsArray());
        var (_, _, labels) = await fixture.GetAsync($"/loki/api/v1/labels?{Window}", token: Token);
        Assert.DoesNotContain("secret", labels!["data"]!.AsArray().Select(n => n!.GetValue<string>()));
        var (_, _, count) = await fixture.GetAsync($"/loki/api/v1/query?query={Uri.EscapeDataString("sum(count_over_time({job=\"nginx\"}[2h]))")}&time={(fixture.StartMicros + 3_600_000_000) * 1000}", token: Token);
        Assert.Equal(NginxLines.ToString(CultureInfo.InvariantCulture), count!["data"]!["result"]![0]!["value"]![1]!.GetValue<string>());
    }

    [Fact]
    public async Task Grafana_generic_json_plugins_get_arrays_of_objects_with_iso_timestamps()
    {
        var fromMs = fixture.StartMicros / 1000;
        var toMs = fromMs + 3_600_000;
        const string Iso = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$";

        // Infinity's logs format: timestamp, body, level (and the labels as further fields).
        var (status, body, logs) = await fixture.GetAsync($"/api/v1/logql?query={Uri.EscapeDataString("{job=\"worker\"} |= \"failed\"")}&start={fromMs}&end={toMs}&limit=7", token: Token);
        Assert.True(status == HttpStatusCode.OK, body);
        var lines = logs!.AsArray();
        Assert.Equal(7, lines.Count);
        var expected = fixture.Records.Where(r => r.Stream.GetValueOrDefault("job") == "worker" && r.Line.Contains("failed", StringComparison.Ordinal)).OrderByDescending(r => r.Micros).Take(7).ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i]!.AsObject();
            Assert.Equal(["timestamp", "body", "level"], line.Select(p => p.Key).Take(3));
            Assert.Matches(Iso, line["timestamp"]!.GetValue<string>());
            Assert.Equal(expected[i].Micros / 1000, DateTimeOffset.Parse(line["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
            Assert.Equal(expected[i].Line, line["body"]!.GetValue<string>());
            Assert.Equal("error", line["level"]!.GetValue<string>());
            Assert.Equal("worker", line["job"]!.GetValue<string>());
        }

        // Time series: one object per point, value a number, labels as fields.
        var query = "sum by (service_name) (count_over_time({service_name=~\".+\"}[10m]))";
        var (_, _, points) = await fixture.GetAsync($"/api/v1/logql?query={Uri.EscapeDataString(query)}&start={fromMs + 600_000}&end={toMs}&step=10m", token: Token);
        var byService = points!.AsArray().GroupBy(p => p!["service_name"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["checkout", "gateway", "payments", "worker"], byService.Keys.Order());
        Assert.All(byService.Values.SelectMany(v => v), p =>
        {
            Assert.Matches(Iso, p!["timestamp"]!.GetValue<string>());
            Assert.Equal(System.Text.Json.JsonValueKind.Number, p["value"]!.GetValueKind());
        });
        Assert.Equal(LokiFixture.Count / 4, byService["checkout"].Sum(p => p!["value"]!.GetValue<double>()));

        // SQL as an array of objects.
        var sql = "SELECT \"timestamp\", body, service_name FROM logs WHERE service_name = 'payments' ORDER BY \"timestamp\" LIMIT 3";
        var (sqlStatus, sqlBody, rows) = await fixture.GetAsync($"/api/v1/sql?format=objects&q={Uri.EscapeDataString(sql)}", token: Token);
        Assert.True(sqlStatus == HttpStatusCode.OK, sqlBody);
        var firstPayments = fixture.Records.Where(r => r.Stream["service_name"] == "payments").OrderBy(r => r.Micros).Take(3).ToList();
        Assert.Equal(firstPayments.Select(r => r.Line), rows!.AsArray().Select(r => r!["body"]!.GetValue<string>()));
        Assert.All(rows.AsArray(), r => Assert.Matches(Iso, r!["timestamp"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_example_dashboard_queries_all_answer_with_data()
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(OpenApiTests.RepositoryRoot(), "grafana", "icegate-logs-dashboard.json"), Token))!;
        var fromMs = fixture.StartMicros / 1000;
        var toMs = fromMs + 3_600_000;
        string Substitute(string text) => text.Replace("$service", ".+", StringComparison.Ordinal).Replace("$search", "", StringComparison.Ordinal).Replace("$__auto", "1m", StringComparison.Ordinal)
            .Replace("${__from}", fromMs.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("${__to}", toMs.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var panels = dashboard["panels"]!.AsArray();
        Assert.Equal(5, panels.Count);
        foreach (var panel in panels)
        {
            var target = panel!["targets"]![0]!;
            string path;
            if (panel["datasource"]!["type"]!.GetValue<string>() == "loki")
            {
                path = $"/loki/api/v1/query_range?query={Uri.EscapeDataString(Substitute(target["expr"]!.GetValue<string>()))}&start={fromMs * 1_000_000}&end={toMs * 1_000_000}&step=60000ms&limit=500";
            }
            else
            {
                var url = target["url"]!.GetValue<string>().Replace("$icegate", "", StringComparison.Ordinal);
                var parameters = target["url_options"]!["params"]!.AsArray().Select(p => $"{p!["key"]!.GetValue<string>()}={Uri.EscapeDataString(Substitute(p["value"]!.GetValue<string>()))}");
                path = $"{url}?{string.Join("&", parameters)}";
            }

            var (status, body, json) = await fixture.GetAsync(path, token: Token);
            Assert.True(status == HttpStatusCode.OK, $"{panel["title"]}: {status} {body}");
            var results = json is JsonArray array ? array : json!["data"]!["result"]!.AsArray();
            Assert.True(results.Count > 0, $"{panel["title"]} shows nothing: {body[..Math.Min(300, body.Length)]}");
        }
    }

    private static JsonObject PushBody(string job, params (long Nanos, string Line)[] lines) => new()
    {
        ["streams"] = new JsonArray(new JsonObject
        {
            ["stream"] = new JsonObject { ["job"] = job },
            ["values"] = new JsonArray([.. lines.Select(l => (JsonNode)new JsonArray(l.Nanos.ToString(CultureInfo.InvariantCulture), l.Line))]),
        }),
    };

    /// <summary>The stats object Grafana's query inspector reads: summary, querier and ingester groups, numbers throughout.</summary>
    private static void CheckStats(JsonNode stats)
    {
        Assert.Equal(["summary", "querier", "ingester"], stats.AsObject().Select(p => p.Key));
        foreach (var key in (string[])["bytesProcessedPerSecond", "linesProcessedPerSecond", "totalBytesProcessed", "totalLinesProcessed", "execTime", "queueTime", "totalEntriesReturned"])
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Number, stats["summary"]![key]!.GetValueKind());
        }

        Assert.True(stats["summary"]!["execTime"]!.GetValue<double>() > 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Number, stats["querier"]!["store"]!["totalChunksRef"]!.GetValueKind());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, stats["ingester"]!["totalChunksMatched"]!.GetValueKind());
    }
}
