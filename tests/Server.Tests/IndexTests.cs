using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IceGate.Tests;
using Microsoft.Extensions.Configuration;

namespace IceGate.Server.Tests;

/// <summary>Skipping indexes through the real binary: shift writes them, needle queries skip files by them, and answers never change.</summary>
public sealed class IndexTests : IDisposable
{
    private const string Tenant = "acme";
    private const int Days = 3;
    private const int BatchesPerDay = 2;
    private const int RecordsPerBatch = 100;

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-index-").FullName;
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Needle_queries_answer_as_without_indexes_and_skip_every_file_that_cannot_hold_the_needle()
    {
        await using var icegate = await StartWithDataAsync();
        var random = new Random(2026_12_04);
        var records = Records().ToList();
        string Present(Func<(string TraceId, string SpanId, string User, string Body), string> pick) => pick(records[random.Next(records.Count)]);
        string Absent(int length) => Convert.ToHexStringLower(Enumerable.Range(0, length / 2).Select(_ => (byte)random.Next(256)).ToArray());
        // (predicate, whether some row matches, whether the matching rows are all in one file);
        // span ids are indexed in the spans table only, so on logs they skip nothing.
        var needles = new List<(string Where, bool Present, bool OneFile)>();
        for (var i = 0; i < 8; i++)
        {
            needles.Add(($"trace_id = '{Present(r => r.TraceId)}'", true, true));
            needles.Add(($"trace_id = '{Absent(32)}'", false, false));
            needles.Add(($"span_id = '{Present(r => r.SpanId)}'", true, false));
            needles.Add(($"log_attributes['user.id'] = '{Present(r => r.User)}'", true, false));
            needles.Add(($"log_attributes['user.id'] = 'user-{random.Next(1000, 2000)}'", false, false));
            needles.Add(($"trace_id IN ('{Absent(32)}', '{Present(r => r.TraceId)}') AND severity_number > 0", true, true));
            needles.Add(($"trace_id IN ('{Absent(32)}', '{Absent(32)}')", false, false));
        }

        int presentSkipped = 0, presentPossible = 0, absentSkipped = 0, absentPossible = 0;
        foreach (var (where, present, oneFile) in needles)
        {
            var sql = $"SELECT body, trace_id, span_id FROM logs WHERE {where} ORDER BY body";
            var (indexed, stats) = await QueryAsync(icegate, sql, "");
            var (unpruned, _) = await QueryAsync(icegate, sql, "&prune=false");
            Assert.Equal(unpruned, indexed);
            Assert.Equal(present, indexed.Count > 0);
            var candidates = stats["filesConsidered"]!.GetValue<int>() - stats["filesPruned"]!.GetValue<int>();
            var skipped = stats["filesSkippedByIndex"]!.GetValue<int>();
            if (present)
            {
                // The needle's own files are read; with an id, the others are skipped unless their filter errs (under 1%).
                Assert.True(skipped < candidates, $"{where}: {stats}");
                if (oneFile)
                {
                    (presentSkipped, presentPossible) = (presentSkipped + skipped, presentPossible + candidates - 1);
                }
            }
            else
            {
                (absentSkipped, absentPossible) = (absentSkipped + skipped, absentPossible + candidates);
            }
        }

        Assert.True(absentPossible >= needles.Count(n => !n.Present) * Days, $"column bounds left {absentPossible} files to the index");
        Assert.True(absentSkipped >= absentPossible * 0.95, $"absent needles skipped {absentSkipped} of {absentPossible} files");
        Assert.True(presentSkipped >= presentPossible * 0.95, $"present needles skipped {presentSkipped} of {presentPossible} files");

        // Predicates an index cannot answer skip nothing by index.
        foreach (var where in new[] { "trace_id <> 'x' OR span_id = 'y'", $"span_id = '{Absent(16)}'" })
        {
            var (_, plain) = await QueryAsync(icegate, $"SELECT count(*) FROM logs WHERE {where}", "");
            Assert.Equal(0, plain["filesSkippedByIndex"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task A_missing_or_corrupt_index_means_the_file_is_read_with_a_warning_and_a_counter()
    {
        await using var icegate = await StartWithDataAsync();
        var indexes = Directory.GetFiles(Path.Combine(icegate.WorkingDirectory, "data", "objects"), "*.igx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.True(indexes.Count >= Days, $"{indexes.Count} index objects for {Days} days of data");
        File.Delete(indexes[0]);
        var corrupt = await File.ReadAllBytesAsync(indexes[1], TestContext.Current.CancellationToken);
        corrupt[corrupt.Length / 2] ^= 0xff;
        await File.WriteAllBytesAsync(indexes[1], corrupt, TestContext.Current.CancellationToken);

        var present = Records().First();
        foreach (var where in new[] { $"trace_id = '{new string('7', 32)}'", $"trace_id = '{present.TraceId}'" })
        {
            var sql = $"SELECT body FROM logs WHERE {where}";
            var (rows, stats) = await QueryAsync(icegate, sql, "");
            Assert.Equal((await QueryAsync(icegate, sql, "&prune=false")).Rows, rows);
            var candidates = stats["filesConsidered"]!.GetValue<int>() - stats["filesPruned"]!.GetValue<int>();
            Assert.True(stats["filesSkippedByIndex"]!.GetValue<int>() <= candidates - 2, $"the files without a usable index are read: {stats}");
        }

        var metrics = await _http.GetStringAsync(new Uri(icegate.QueryUrl, "/metrics"), TestContext.Current.CancellationToken);
        Assert.Equal(1, PrometheusSamples.Sum(metrics, "icegate_index_unreadable_total", ("reason", "missing")));
        Assert.Equal(1, PrometheusSamples.Sum(metrics, "icegate_index_unreadable_total", ("reason", "corrupt")));
        Assert.Contains("cannot be used", icegate.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Configured_attribute_keys_replace_the_default_ones()
    {
        IceGateOptions Bind(params (string Key, string Value)[] settings) =>
            new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build().Get<IceGateOptions>() ?? new IceGateOptions();

        Assert.Equal(Lakehouse.Index.IndexOptions.DefaultAttributes, Bind().Index.AttributeKeys);
        Assert.Equal(["customer.id"], Bind(("Index:Attributes:0", "customer.id")).Index.AttributeKeys);
    }

    /// <summary>The dataset: per day and batch, records with their own trace, span and user ids (random-looking, as real ids are, so column bounds cannot tell them apart).</summary>
    private static IEnumerable<(string TraceId, string SpanId, string User, string Body)> Records() =>
        Enumerable.Range(0, Days * BatchesPerDay * RecordsPerBatch).Select(i => (Id(i, 16), Id(-i - 1, 8), $"user-{i % 97}", $"line {i:D4}"));

    private static string Id(int seed, int bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(seed))[..bytes]);

    private async Task<IceGateProcess> StartWithDataAsync()
    {
        var icegate = IceGateProcess.Start(_directory, null, "serve", "--Shift:SettleTime=00:00:02", "--Shift:MaxClockSkew=00:00:00.500", "--Shift:PollInterval=00:00:00.200",
            "--Ingest:Wal:PublishDeadline=00:00:01", "--Maintenance:Enabled=false");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var records = Records().ToList();
        var firstDay = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-Days);
        for (var batch = 0; batch < Days * BatchesPerDay; batch++)
        {
            var day = firstDay.AddDays(batch % Days);
            await SendAsync(icegate, records.Skip(batch * RecordsPerBatch).Take(RecordsPerBatch).Select((r, i) => (day.AddMinutes(i).ToUnixTimeMilliseconds() * 1_000_000, r)));

            // A shift between batches, so that each day has more than one file.
            await WaitUntilShiftedAsync(icegate, (batch + 1) * RecordsPerBatch);
        }

        return icegate;
    }

    private async Task SendAsync(IceGateProcess icegate, IEnumerable<(long TimeNanos, (string TraceId, string SpanId, string User, string Body) Record)> records)
    {
        var logRecords = new JsonArray([.. records.Select(r => (JsonNode)new JsonObject
        {
            ["timeUnixNano"] = r.TimeNanos.ToString(CultureInfo.InvariantCulture),
            ["severityNumber"] = 9,
            ["body"] = new JsonObject { ["stringValue"] = r.Record.Body },
            ["traceId"] = r.Record.TraceId,
            ["spanId"] = r.Record.SpanId,
            ["attributes"] = new JsonArray(new JsonObject { ["key"] = "user.id", ["value"] = new JsonObject { ["stringValue"] = r.Record.User } }),
        })]);
        var payload = new JsonObject
        {
            ["resourceLogs"] = new JsonArray(new JsonObject
            {
                ["resource"] = new JsonObject { ["attributes"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = "checkout" } }) },
                ["scopeLogs"] = new JsonArray(new JsonObject { ["logRecords"] = logRecords }),
            }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(icegate.OtlpHttpUrl, "/v1/logs")) { Content = new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Scope-OrgID", Tenant);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task WaitUntilShiftedAsync(IceGateProcess icegate, int rows)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var (answer, stats) = await QueryAsync(icegate, "SELECT count(*) FROM logs", "");
            if (answer[0] == rows.ToString(CultureInfo.InvariantCulture) && stats["walSegments"]!.GetValue<int>() == 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the rows did not reach the table in 60 s\n{icegate.Output}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The rows (each as its JSON text) and the stats of a query.</summary>
    private async Task<(List<string> Rows, JsonObject Stats)> QueryAsync(IceGateProcess icegate, string sql, string parameters)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(icegate.QueryUrl, $"/api/v1/sql?q={Uri.EscapeDataString(sql)}{parameters}"));
        request.Headers.Add("X-Scope-OrgID", Tenant);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return ([.. body["rows"]!.AsArray().Select(row => row!.AsArray().Count == 1 ? row[0]!.ToJsonString().Trim('"') : row.ToJsonString())], body["stats"]!.AsObject());
    }
}
