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

    private async Task SendAsync(IceGateProcess icegate, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body) { Headers = { ContentType = new("application/x-protobuf") } };
        using var response = await _client.PostAsync(new Uri(icegate.OtlpHttpUrl, path), content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
