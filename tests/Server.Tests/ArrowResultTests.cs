using System.Net;
using System.Text.Json.Nodes;
using IceGate.Lakehouse.Iceberg;
using IceGate.Tests;

namespace IceGate.Server.Tests;

/// <summary><c>format=arrow</c> read by a reader we did not write (apache-arrow in Node.js, straight from the URL), value for value equal to the JSON result.</summary>
public sealed class ArrowResultTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-arrow-").FullName;
    private readonly HttpClient _client = new();

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Apache_arrow_reads_every_value_of_logs_spans_and_metrics_as_the_json_result_has_it()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var now = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        await SendAsync(icegate, "/v1/logs", Proto.Logs("checkout", [.. Enumerable.Range(0, 5000).Select(i => $"line {i:D5} ü 🧊")]));
        for (byte i = 0; i < 3; i++)
        {
            await SendAsync(icegate, "/v1/traces", Proto.Traces("payments", $"GET /order/{i}", now - (i * 1_000_000_000UL), spanIdSeed: (byte)(i * 20)));
        }

        await SendAsync(icegate, "/v1/metrics", Proto.Metrics("payments", now));
        foreach (var (table, order, rows) in new[] { (TableSchemas.Logs, "body", 5000), (TableSchemas.Spans, "span_id", 3), (TableSchemas.Metrics, "metric_name", 3) })
        {
            var query = Uri.EscapeDataString($"SELECT * FROM {table.Name} ORDER BY {order}");
            var json = (await _client.GetStringAsync(new Uri(icegate.QueryUrl, $"/api/v1/sql?format=ndjson&limit=100000&q={query}"), TestContext.Current.CancellationToken))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
            var arrow = NodeScripts.JsonLines("read_arrow.mjs", new Uri(icegate.QueryUrl, $"/api/v1/sql?format=arrow&limit=100000&q={query}").ToString());
            Assert.Equal(rows, json.Count);
            Assert.Equal(rows, arrow.Count);
            for (var row = 0; row < rows; row++)
            {
                Assert.Equal(table.Schema.Fields.Count, arrow[row].Count);
                foreach (var field in table.Schema.Fields)
                {
                    ArrowValues.AssertSame(field.Type, json[row][field.Name], arrow[row][field.Name], $"{table.Name} row {row} {field.Name}");
                }
            }
        }

        // A limit cuts the stream inside a chunk, and the result says it was truncated.
        var cut = NodeScripts.JsonLines("read_arrow.mjs", new Uri(icegate.QueryUrl, "/api/v1/sql?format=arrow&limit=2500&q=SELECT%20body%20FROM%20logs%20ORDER%20BY%20body").ToString());
        Assert.Equal(2500, cut.Count);
        Assert.Equal("line 02499 ü 🧊", cut[^1]["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task Apache_arrow_reads_logql_lines_and_points_as_the_json_objects_have_them()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        await SendAsync(icegate, "/v1/logs", Proto.Logs("checkout", [.. Enumerable.Range(0, 300).Select(i => $"order {i} ü")]));
        await SendAsync(icegate, "/v1/logs", Proto.Logs("payments", "paid"));
        foreach (var (query, valueField) in new[] { ("{service_name=~\"checkout|payments\"}", "body"), ("sum by (service_name) (count_over_time({service_name=~\".+\"}[1m]))", "value") })
        {
            // The range ends a minute from now, so that a step lands after lines sent a moment ago.
            var end = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds();
            var path = $"/api/v1/logql?limit=1000&start={end - 3_600_000}&end={end}&step=60s&query={Uri.EscapeDataString(query)}";
            // Lines sent in one request can share a timestamp, so both sides are put in one order first.
            var json = JsonNode.Parse(await _client.GetStringAsync(new Uri(icegate.QueryUrl, path), TestContext.Current.CancellationToken))!.AsArray()
                .Select(o => o!.AsObject()).OrderBy(o => $"{o["body"]}|{o["service_name"]}|{o["timestamp"]}", StringComparer.Ordinal).ToList();
            var arrow = NodeScripts.JsonLines("read_arrow.mjs", new Uri(icegate.QueryUrl, $"{path}&format=arrow").ToString())
                .OrderBy(o => $"{o["body"]}|{o["labels"]!["service_name"]}|{o["timestamp"]}", StringComparer.Ordinal).ToList();
            Assert.True(json.Count > 0, $"{query} answered nothing to compare");
            Assert.Equal(json.Count, arrow.Count);
            for (var row = 0; row < json.Count; row++)
            {
                var (expected, actual) = (json[row], arrow[row]);
                ArrowValues.AssertSame(PrimitiveType.Timestamp, expected["timestamp"], actual["timestamp"], $"{query} row {row} timestamp");
                ArrowValues.AssertSame(valueField == "body" ? PrimitiveType.String : PrimitiveType.Double, expected[valueField], actual[valueField], $"{query} row {row} {valueField}");
                var labels = actual["labels"]!.AsObject();
                foreach (var (name, value) in expected.Where(e => e.Key is not ("timestamp" or "body" or "value" or "level")))
                {
                    Assert.Equal(value!.GetValue<string>(), labels[name]!.GetValue<string>());
                }

                if (valueField == "body")
                {
                    Assert.Equal(expected["level"]!.GetValue<string>(), actual["level"]!.GetValue<string>());
                }
            }
        }
    }

    private async Task SendAsync(IceGateProcess icegate, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/x-protobuf") } };
        using var response = await _client.PostAsync(new Uri(icegate.OtlpHttpUrl, path), content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
