using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IceGate.Server.Tests;

/// <summary>
/// Cold queries read a data file's footer and the chunks of the columns they name, not the whole
/// file; everything else in the cached file is then overwritten with garbage, and DuckDB must give
/// the same answers: proof that it never reads the bytes that were not fetched.
/// </summary>
public sealed class RangedReadTests : IDisposable
{
    private const string Tenant = "acme";
    private const int Records = 20_000;

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-ranged-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task DuckDB_reads_only_the_fetched_ranges_and_a_cold_query_fetches_only_its_columns()
    {
        var token = TestContext.Current.CancellationToken;
        await using var writer = IceGateProcess.Start(_directory, null, "serve", "--Shift:SettleTime=00:00:02", "--Shift:MaxClockSkew=00:00:00.500", "--Shift:PollInterval=00:00:00.200",
            "--Ingest:Wal:PublishDeadline=00:00:01", "--Maintenance:Enabled=false", "--Query:RangedReads=false");
        await writer.WaitUntilHealthyAsync(token);
        await SendAsync(writer);
        await WaitUntilShiftedAsync(writer);
        var dataBytes = Directory.GetFiles(Path.Combine(_directory, "data", "objects"), "*.parquet", SearchOption.AllDirectories).Where(f => f.Contains("/data/", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
        Assert.True(dataBytes > 1 << 20, $"{dataBytes} bytes of data files: too small for the footer read to leave anything out");

        string[] queries =
        [
            "SELECT service_name, count(*) AS n FROM logs GROUP BY service_name ORDER BY service_name",
            "SELECT body FROM logs WHERE severity_number = 13 ORDER BY body LIMIT 50",
            "SELECT log_attributes['user.id'] AS u, count(*) AS n FROM logs GROUP BY u ORDER BY n DESC, u LIMIT 5",
            $"SELECT count(*) AS n FROM logs&start={DateTimeOffset.UtcNow.Date.AddDays(-1).AddHours(2):O}&end={DateTimeOffset.UtcNow.Date.AddDays(-1).AddHours(3):O}",
            "SELECT * FROM logs ORDER BY body LIMIT 3",
        ];

        // Statements that read whole rows without naming the columns: each must take whole files.
        string[] wholeRows =
        [
            "SELECT max(length(#10)) AS longest FROM logs",
            "PIVOT logs ON severity_number IN (1, 5, 9, 13) USING count(*) GROUP BY service_name ORDER BY service_name",
            "SELECT count(*) AS n FROM (PIVOT logs ON severity_number IN (1, 5, 9, 13) USING count(*))",
        ];

        // The writer reads whole files (ranged reads off): the reference answers.
        var logql = await LogQLAsync(writer);
        Assert.Contains("request 1", logql, StringComparison.Ordinal);
        var expected = new List<string>();
        foreach (var sql in queries.Concat(wholeRows))
        {
            expected.Add((await QueryAsync(writer, sql)).Rows);
        }

        var cache = Path.Combine(_directory, "reader-cache");
        await using var reader = IceGateProcess.Start(_directory, null, "serve", "--Shift:Enabled=false", "--Maintenance:Enabled=false", $"--Query:CacheDirectory={cache}");
        await reader.WaitUntilHealthyAsync(token);

        var (rows, stats) = await QueryAsync(reader, queries[0]);
        Assert.Equal(expected[0], rows);
        var fetched = stats["bytesFetched"]!.GetValue<long>();
        Assert.True(fetched > 0 && fetched < dataBytes / 4, $"a count by service fetched {fetched} of {dataBytes} bytes");

        // Each query, after poisoning every byte not fetched so far, answers as the whole files do;
        // the whole-row query makes the files whole again.
        for (var i = 0; i < queries.Length; i++)
        {
            var poisoned = Poison(cache);
            Assert.True(i == queries.Length - 1 || poisoned > 0, "partly cached files to poison");
            Assert.Equal(logql, await LogQLAsync(reader));
            Assert.Equal(expected[0], (await QueryAsync(reader, queries[0])).Rows);
            Assert.Equal(expected[i], (await QueryAsync(reader, queries[i])).Rows);
        }

        Assert.Empty(Directory.GetFiles(cache, "*.ranges", SearchOption.AllDirectories));

        for (var i = 0; i < wholeRows.Length; i++)
        {
            var fresh = Path.Combine(_directory, $"whole-rows-cache-{i}");
            await using var another = IceGateProcess.Start(_directory, null, "serve", "--Shift:Enabled=false", "--Maintenance:Enabled=false", $"--Query:CacheDirectory={fresh}");
            await another.WaitUntilHealthyAsync(token);
            Assert.Equal(expected[0], (await QueryAsync(another, queries[0])).Rows);
            Assert.True(Poison(fresh) > 0);
            Assert.Equal(expected[queries.Length + i], (await QueryAsync(another, wholeRows[i])).Rows);
            Assert.Empty(Directory.GetFiles(fresh, "*.ranges", SearchOption.AllDirectories));
        }
    }

    /// <summary>Overwrites every byte of every partly cached file outside its fetched ranges with 0xAB; returns the bytes overwritten.</summary>
    private static long Poison(string cache)
    {
        long poisoned = 0;
        foreach (var ranges in Directory.GetFiles(cache, "*.ranges", SearchOption.AllDirectories))
        {
            var path = ranges[..^".ranges".Length];
            var fetched = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(ranges))!.Select(r => (Offset: r[0], Length: r[1])).OrderBy(r => r.Offset).ToList();
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            var position = 0L;
            foreach (var (offset, length) in fetched.Append((file.Length, 0)))
            {
                if (offset > position)
                {
                    var garbage = new byte[offset - position];
                    Array.Fill(garbage, (byte)0xAB);
                    file.Position = position;
                    file.Write(garbage);
                    poisoned += garbage.Length;
                }

                position = Math.Max(position, offset + length);
            }
        }

        return poisoned;
    }

    private async Task SendAsync(IceGateProcess icegate)
    {
        var start = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).ToUnixTimeMilliseconds() * 1_000_000;
        var random = new Random(7);
        var logRecords = new JsonArray([.. Enumerable.Range(0, Records).Select(i => (JsonNode)new JsonObject
        {
            ["timeUnixNano"] = (start + (i * 1_000_000_000L)).ToString(CultureInfo.InvariantCulture),
            ["severityNumber"] = (i % 4 * 4) + 1,
            ["body"] = new JsonObject { ["stringValue"] = $"request {i} {Convert.ToHexString(Enumerable.Range(0, 60).Select(_ => (byte)random.Next(256)).ToArray())}" },
            ["attributes"] = new JsonArray(new JsonObject { ["key"] = "user.id", ["value"] = new JsonObject { ["stringValue"] = $"user-{i % 37}" } }),
        })]);
        var payload = new JsonObject
        {
            ["resourceLogs"] = new JsonArray([.. Enumerable.Range(0, 3).Select(s => (JsonNode)new JsonObject
            {
                ["resource"] = new JsonObject { ["attributes"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = $"svc-{s}" } }) },
                ["scopeLogs"] = new JsonArray(new JsonObject { ["logRecords"] = new JsonArray([.. logRecords.Where((_, i) => i % 3 == s).Select(r => r!.DeepClone())]) }),
            })]),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(icegate.OtlpHttpUrl, "/v1/logs")) { Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Scope-OrgID", Tenant);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A LogQL log query and a metric query through the Loki API, as their JSON results.</summary>
    private async Task<string> LogQLAsync(IceGateProcess icegate)
    {
        // A fixed range, so that both processes' steps fall at the same times.
        var end = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(1).ToUnixTimeMilliseconds() * 1_000_000;
        var results = new List<string>();
        foreach (var query in (string[])["{service_name=\"svc-1\"} |= \"request 1\"", "sum by (service_name) (count_over_time({service_name=~\"svc-.\"} |= \"A\" [1h]))"])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(icegate.QueryUrl, $"/loki/api/v1/query_range?query={Uri.EscapeDataString(query)}&start={end - (2 * 86_400_000_000_000)}&end={end}&step=3600&limit=20"));
            request.Headers.Add("X-Scope-OrgID", Tenant);
            using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {body}");
            results.Add(JsonNode.Parse(body)!["data"]!["result"]!.ToJsonString());
        }

        return string.Join("\n", results);
    }

    private async Task WaitUntilShiftedAsync(IceGateProcess icegate)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var (rows, stats) = await QueryAsync(icegate, "SELECT count(*) FROM logs");
            if (rows == $"[[{Records}]]" && stats["walSegments"]!.GetValue<int>() == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the rows did not reach the table in 60 s\n{icegate.Output}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Runs a statement; one that ends in <c>&amp;…</c> carries those query parameters too (a time range the views filter on).</summary>
    private async Task<(string Rows, JsonObject Stats)> QueryAsync(IceGateProcess icegate, string sql)
    {
        var (statement, parameters) = sql.IndexOf('&', StringComparison.Ordinal) is var at and >= 0 ? (sql[..at], sql[at..]) : (sql, "");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(icegate.QueryUrl, $"/api/v1/sql?limit=100000&q={Uri.EscapeDataString(statement)}{parameters}"));
        request.Headers.Add("X-Scope-OrgID", Tenant);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{sql}: {body.ToJsonString()}");
        return (body["rows"]!.ToJsonString(), body["stats"]!.AsObject());
    }
}
