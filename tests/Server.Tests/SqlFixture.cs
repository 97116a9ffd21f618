using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IceGate.Server.Tests;

/// <summary>
/// One running icegate (short shift settle time) holding a fixed dataset of two tenants' logs over
/// five days, already shifted into the Iceberg table, for the SQL API tests.
/// </summary>
public sealed class SqlFixture : IAsyncLifetime
{
    public const string TenantA = "tenant-a";
    public const string TenantB = "tenant-b";
    public const string SecretOfB = "SECRET-OF-B";
    public const int RowsOfA = 600;
    public const int RowsOfB = 200;

    public static readonly string[] Services = ["checkout", "payments", "search", "frontend"];
    public static readonly int[] Severities = [5, 9, 13, 17];

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-sql-").FullName;

    public IceGateProcess Process { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The start of the dataset's first day: rows lie in [<see cref="FirstDay"/>, +5 days).</summary>
    public DateTimeOffset FirstDay { get; } = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-4);

    public async ValueTask InitializeAsync()
    {
        var token = TestContext.Current.CancellationToken;
        Process = IceGateProcess.Start(_directory, null, "serve", "--Shift:SettleTime=00:00:02", "--Shift:MaxClockSkew=00:00:00.500", "--Shift:PollInterval=00:00:00.200",
            "--Ingest:Wal:PublishDeadline=00:00:01", "--Query:Timeout=00:00:05", $"--Query:CacheDirectory={Path.Combine(_directory, "cache")}");
        await Process.WaitUntilHealthyAsync(token);
        await SendAsync(TenantA, Enumerable.Range(0, RowsOfA).Select(i => Record(i, $"a-{i} {(i % 7 == 0 ? "error timeout" : "ok")}")), token);
        await SendAsync(TenantB, Enumerable.Range(0, RowsOfB).Select(i => Record(i, $"{SecretOfB}-{i}")), token);
        await WaitUntilShiftedAsync(TenantA, RowsOfA, token);
        await WaitUntilShiftedAsync(TenantB, RowsOfB, token);
    }

    /// <summary>Record <paramref name="i"/> of a tenant's dataset: spread over five days, four services, four severities.</summary>
    public (long TimeNanos, string Service, int Severity, string Body, string TraceId) Record(int i, string body) =>
        ((FirstDay.AddDays(i % 5).AddMinutes(i * 7 % 1440).ToUnixTimeMilliseconds() * 1_000_000) + (i * 1000),
         Services[i % Services.Length], Severities[i / 3 % Severities.Length], body, $"{i + 1:x32}");

    /// <summary>Sends records as OTLP/HTTP JSON, one request per service.</summary>
    public async Task SendAsync(string tenant, IEnumerable<(long TimeNanos, string Service, int Severity, string Body, string TraceId)> records, CancellationToken token)
    {
        foreach (var service in records.GroupBy(r => r.Service))
        {
            var logRecords = new JsonArray([.. service.Select(r => (JsonNode)new JsonObject
            {
                ["timeUnixNano"] = r.TimeNanos.ToString(CultureInfo.InvariantCulture),
                ["severityNumber"] = r.Severity,
                ["body"] = new JsonObject { ["stringValue"] = r.Body },
                ["traceId"] = r.TraceId,
                ["attributes"] = new JsonArray(new JsonObject { ["key"] = "http.status", ["value"] = new JsonObject { ["intValue"] = (200 + r.Severity).ToString(CultureInfo.InvariantCulture) } }),
            })]);
            var payload = new JsonObject
            {
                ["resourceLogs"] = new JsonArray(new JsonObject
                {
                    ["resource"] = new JsonObject { ["attributes"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = service.Key } }) },
                    ["scopeLogs"] = new JsonArray(new JsonObject { ["logRecords"] = logRecords }),
                }),
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Process.OtlpHttpUrl, "/v1/logs")) { Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Scope-OrgID", tenant);
            using var response = await Http.SendAsync(request, token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>Runs a query through the API.</summary>
    public async Task<SqlAnswer> QueryAsync(string tenant, string sql, string parameters = "", CancellationToken token = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Process.QueryUrl, $"/api/v1/sql?q={Uri.EscapeDataString(sql)}{parameters}"));
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await Http.SendAsync(request, token);
        var body = await response.Content.ReadAsByteArrayAsync(token);
        var stats = response.Headers.TryGetValues("X-IceGate-Stats", out var values) ? JsonNode.Parse(values.First())!.AsObject() : null;
        return new SqlAnswer(response.StatusCode, body, stats, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Waits until the tenant's rows are all in the table, none read from the WAL.</summary>
    public async Task WaitUntilShiftedAsync(string tenant, long rows, CancellationToken token, string where = "true")
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var answer = await QueryAsync(tenant, $"SELECT count(*) AS n FROM logs WHERE {where}", token: token);
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            if (answer.Rows[0]![0]!.GetValue<long>() == rows && answer.Stats!["walSegments"]!.GetValue<int>() == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the rows did not reach the table in 60 s: {answer.Text}\n{Process.Output}");
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

/// <summary>One answer of the SQL API.</summary>
public sealed record SqlAnswer(HttpStatusCode Status, byte[] Body, JsonObject? Stats, string? ContentType)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public JsonArray Rows => Json["rows"]!.AsArray();

    public string Error => Json["error"]!.GetValue<string>();
}
