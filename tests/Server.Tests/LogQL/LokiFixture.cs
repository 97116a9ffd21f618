using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace IceGate.Server.Tests.LogQL;

/// <summary>What a generated line looks like, which decides the parsers that apply to it.</summary>
public enum LineKind
{
    /// <summary>checkout (OTLP): a JSON object, every tenth one malformed.</summary>
    Json,

    /// <summary>payments (OTLP) and worker (Loki push): logfmt.</summary>
    Logfmt,

    /// <summary>gateway (Loki push): an access log line for pattern and regexp.</summary>
    Access,
}

/// <summary>
/// One generated log line, with everything the reference evaluator needs to know about it without
/// parsing it: the stream labels IceGate must show for it and the fields its text encodes.
/// </summary>
/// <param name="Micros">When it was logged (µs; unique in the dataset).</param>
/// <param name="Stream">The stream labels the Loki API must show.</param>
/// <param name="Line">The text.</param>
/// <param name="Kind">Its format.</param>
/// <param name="Fields">The fields its format encodes, under the label names a parser gives them (before collisions).</param>
/// <param name="Malformed">Whether it is a JSON line that is not valid JSON.</param>
public sealed record LogRecordSpec(long Micros, IReadOnlyDictionary<string, string> Stream, string Line, LineKind Kind, IReadOnlyDictionary<string, string> Fields, bool Malformed);

/// <summary>
/// One running icegate with a fixed dataset of 1,200 lines over one hour in four services: two
/// sent over OTLP/HTTP (resource attributes: service, Kubernetes namespace and pod, environment,
/// host; severities), two over Loki push JSON (stream labels job, app, env, level).
/// </summary>
public sealed class LokiFixture : IAsyncLifetime
{
    public const string Tenant = "loki-tenant";
    public const string OtherTenant = "loki-other";
    public const int Count = 1200;
    public const long SpacingMicros = 3_000_000;

    private static readonly int[] s_statuses = [200, 200, 201, 404, 500, 503, 200, 302];
    private static readonly string[] s_methods = ["GET", "POST", "PUT", "DELETE"];
    private static readonly string[] s_paths = ["/cart", "/api/items", "/pay", "/login", "/api/orders"];
    private static readonly string[] s_levels = ["info", "warn", "error", "info"];
    private static readonly int[] s_severities = [9, 9, 13, 17];

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-loki-").FullName;

    public IceGateProcess Process { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The dataset's first line's minute: lines lie in [Start, Start + 1 h).</summary>
    public long StartMicros { get; } = (DateTimeOffset.UtcNow.AddHours(-3).ToUnixTimeSeconds() / 3600 * 3600) * 1_000_000;

    public IReadOnlyList<LogRecordSpec> Records { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        Records = [.. Enumerable.Range(0, Count).Select(Generate)];
        Process = IceGateProcess.Start(_directory, null, "serve", "--Shift:SettleTime=00:00:02", "--Shift:MaxClockSkew=00:00:00.500", "--Shift:PollInterval=00:00:00.200",
            "--Ingest:Wal:PublishDeadline=00:00:01", $"--Query:CacheDirectory={Path.Combine(_directory, "cache")}");
        await Process.WaitUntilHealthyAsync(token);
        foreach (var group in Records.Where(r => r.Kind != LineKind.Access && !r.Stream.ContainsKey("job")).GroupBy(r => Key(r.Stream)))
        {
            await SendOtlpAsync(Tenant, [.. group], token);
        }

        var pushed = Records.Where(r => r.Stream.ContainsKey("job")).GroupBy(r => Key(r.Stream)).Select(g => PushStream(g.First(), g)).ToArray();
        await PushJsonAsync(Tenant, new JsonObject { ["streams"] = new JsonArray(pushed) }, token);
        await PushJsonAsync(OtherTenant, new JsonObject
        {
            ["streams"] = new JsonArray(new JsonObject
            {
                ["stream"] = new JsonObject { ["job"] = "nginx", ["app"] = "gateway", ["secret"] = "other" },
                ["values"] = new JsonArray(new JsonArray((StartMicros * 1000 + 5).ToString(CultureInfo.InvariantCulture), "GET /secret-of-other HTTP/1.1")),
            }),
        }, token);
        await WaitForRowsAsync(Tenant, Count, token);
    }

    /// <summary>Line <paramref name="i"/> of the dataset: the four services take turns (i % 4), lines three seconds apart.</summary>
    private LogRecordSpec Generate(int i)
    {
        var micros = StartMicros + (i * SpacingMicros) + 123;
        // Fields vary with the line's index within its service (j), independently of each other.
        var j = i / 4;
        var status = s_statuses[((j * 5) + 1) % s_statuses.Length];
        var method = s_methods[j / 2 % s_methods.Length];
        var path = s_paths[j * 3 % s_paths.Length];
        var durationMs = (j * 37 % 900) + 5;
        var user = (j * 11 % 50) + 1;
        switch (i % 4)
        {
            case 0:
                {
                    var severity = s_severities[i / 4 % 4];
                    var level = severity switch { 9 => "info", 13 => "warn", _ => "error" };
                    var stream = new Dictionary<string, string>
                    {
                        ["service_name"] = "checkout",
                        ["level"] = level,
                        ["detected_level"] = level,
                        ["k8s_namespace_name"] = "shop",
                        ["k8s_pod_name"] = $"checkout-{i % 3}",
                        ["deployment_environment"] = i % 8 < 4 ? "prod" : "staging",
                        ["host_name"] = i % 5 < 2 ? "host-a" : "host-b",
                    };
                    if (i % 40 == 0)
                    {
                        return new(micros, stream, $"checkout failed to render {{ order {i}", LineKind.Json, new Dictionary<string, string>(), Malformed: true);
                    }

                    var tier = i % 3 == 0 ? "gold" : "silver";
                    var message = status >= 500 ? "payment error upstream" : "cart updated";
                    var line = $$"""{"status":{{status}},"method":"{{method}}","path":"{{path}}","duration":"{{durationMs}}ms","user":{"id":{{user}},"tier":"{{tier}}"},"tags":["a","b"],"msg":"{{message}}"}""";
                    var fields = new Dictionary<string, string>
                    {
                        ["status"] = status.ToString(CultureInfo.InvariantCulture),
                        ["method"] = method,
                        ["path"] = path,
                        ["duration"] = $"{durationMs}ms",
                        ["user_id"] = user.ToString(CultureInfo.InvariantCulture),
                        ["user_tier"] = tier,
                        ["msg"] = message,
                    };
                    return new(micros, stream, line, LineKind.Json, fields, Malformed: false);
                }

            case 1:
                {
                    var level = status >= 500 ? "error" : "info";
                    var stream = new Dictionary<string, string>
                    {
                        ["service_name"] = "payments",
                        ["level"] = level,
                        ["detected_level"] = level,
                        ["k8s_namespace_name"] = "billing",
                        ["k8s_pod_name"] = $"payments-{i % 2}",
                        ["deployment_environment"] = "prod",
                        ["host_name"] = "host-c",
                    };
                    var size = $"{(i % 5) + 1}KB";
                    var message = status >= 500 ? "card declined" : "charge ok";
                    var line = $"status={status} method=POST path=/pay duration={durationMs}ms size={size} msg=\"{message}\" user={user}";
                    var fields = new Dictionary<string, string>
                    {
                        ["status"] = status.ToString(CultureInfo.InvariantCulture),
                        ["method"] = "POST",
                        ["path"] = "/pay",
                        ["duration"] = $"{durationMs}ms",
                        ["size"] = size,
                        ["msg"] = message,
                        ["user"] = user.ToString(CultureInfo.InvariantCulture),
                    };
                    return new(micros, stream, line, LineKind.Logfmt, fields, Malformed: false);
                }

            case 2:
                {
                    var env = i % 6 == 2 ? "dev" : "prod";
                    var stream = new Dictionary<string, string> { ["service_name"] = "gateway", ["job"] = "nginx", ["app"] = "gateway", ["env"] = env, ["level"] = "unknown", ["detected_level"] = "unknown" };
                    var ip = $"10.0.{i % 4}.{i % 250}";
                    var size = ((i * 97 % 4000) + 100).ToString(CultureInfo.InvariantCulture);
                    var line = $"{ip} - - \"{method} {path}/{i % 10} HTTP/1.1\" {status} {size} {durationMs}ms";
                    var fields = new Dictionary<string, string>
                    {
                        ["ip"] = ip,
                        ["method"] = method,
                        ["path"] = $"{path}/{i % 10}",
                        ["status"] = status.ToString(CultureInfo.InvariantCulture),
                        ["size"] = size,
                        ["duration"] = $"{durationMs}ms",
                    };
                    return new(micros, stream, line, LineKind.Access, fields, Malformed: false);
                }

            default:
                {
                    var level = s_levels[i / 4 % 4];
                    var stream = new Dictionary<string, string> { ["service_name"] = "worker", ["job"] = "worker", ["level"] = level, ["detected_level"] = level };
                    var attempt = (i % 3) + 1;
                    var seconds = durationMs % 2 == 0 ? $"{durationMs / 100.0:0.##}s" : $"{durationMs}ms";
                    var result = level == "error" ? "failed" : "ok";
                    var task = i % 5 == 0 ? "resize" : "email";
                    var line = $"task={task} attempt={attempt} duration={seconds} result={result} job=batch";
                    var fields = new Dictionary<string, string>
                    {
                        ["task"] = task,
                        ["attempt"] = attempt.ToString(CultureInfo.InvariantCulture),
                        ["duration"] = seconds,
                        ["result"] = result,
                        ["job"] = "batch",
                    };
                    return new(micros, stream, line, LineKind.Logfmt, fields, Malformed: false);
                }
        }
    }

    private static string Key(IReadOnlyDictionary<string, string> labels) => string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    /// <summary>A Loki push stream of records that share their labels (level goes as a label, as Promtail sends it).</summary>
    private static JsonObject PushStream(LogRecordSpec first, IEnumerable<LogRecordSpec> records)
    {
        var labels = new JsonObject();
        foreach (var (name, value) in first.Stream.Where(l => l.Key is not ("service_name" or "detected_level") && !(l.Key == "level" && l.Value == "unknown")))
        {
            labels[name] = value;
        }

        if (first.Stream["job"] == "worker")
        {
            labels["service_name"] = "worker";
        }

        return new JsonObject
        {
            ["stream"] = labels,
            ["values"] = new JsonArray([.. records.Select(r => (JsonNode)new JsonArray((r.Micros * 1000).ToString(CultureInfo.InvariantCulture), r.Line))]),
        };
    }

    private async Task SendOtlpAsync(string tenant, List<LogRecordSpec> records, CancellationToken token)
    {
        var stream = records[0].Stream;
        var attributes = new JsonArray();
        foreach (var (key, label) in (ReadOnlySpan<(string, string)>)[("service.name", "service_name"), ("k8s.namespace.name", "k8s_namespace_name"), ("k8s.pod.name", "k8s_pod_name"), ("deployment.environment", "deployment_environment"), ("host.name", "host_name"), ("telemetry.sdk.language", "")])
        {
            attributes.Add(new JsonObject { ["key"] = key, ["value"] = new JsonObject { ["stringValue"] = label.Length == 0 ? "dotnet" : stream[label] } });
        }

        var payload = new JsonObject
        {
            ["resourceLogs"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject { ["attributes"] = attributes },
                ["scopeLogs"] = new JsonArray(new JsonObject
                {
                    ["logRecords"] = new JsonArray([.. records.Select(r => (JsonNode)new JsonObject
                    {
                        ["timeUnixNano"] = (r.Micros * 1000).ToString(CultureInfo.InvariantCulture),
                        ["severityNumber"] = r.Stream["level"] switch { "info" => 9, "warn" => 13, _ => 17 },
                        ["body"] = new JsonObject { ["stringValue"] = r.Line },
                    })]),
                }),
            }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Process.OtlpHttpUrl, "/v1/logs")) { Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await Http.SendAsync(request, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Pushes a Loki JSON body; asserts 204.</summary>
    public async Task PushJsonAsync(string tenant, JsonObject body, CancellationToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Process.QueryUrl, "/loki/api/v1/push")) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await Http.SendAsync(request, token);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync(token));
    }

    /// <summary>GETs a Loki API path for a tenant.</summary>
    public async Task<(HttpStatusCode Status, string Body, JsonNode? Json)> GetAsync(string pathAndQuery, string tenant = Tenant, CancellationToken token = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Process.QueryUrl, pathAndQuery));
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await Http.SendAsync(request, token);
        var body = await response.Content.ReadAsStringAsync(token);
        JsonNode? json = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            json = JsonNode.Parse(body);
        }

        return (response.StatusCode, body, json);
    }

    /// <summary>Waits until the SQL API counts <paramref name="rows"/> log rows for the tenant.</summary>
    public async Task WaitForRowsAsync(string tenant, long rows, CancellationToken token)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var (status, body, json) = await GetAsync("/api/v1/sql?q=" + Uri.EscapeDataString("SELECT count(*) FROM logs"), tenant, token);
            Assert.Equal(HttpStatusCode.OK, status);
            if (json!["rows"]![0]![0]!.GetValue<long>() == rows)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the rows did not arrive in 60 s: {body}\n{Process.Output}");
            await Task.Delay(250, token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
