using System.Net;
using System.Net.Http.Json;
using System.Text;
using IceGate.Tests;

namespace IceGate.Server.Tests;

/// <summary>Queries crafted to exhaust a recursive parser or evaluator: each is refused by its bound, and the process keeps serving.</summary>
public sealed class HostileQueryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-hostile-").FullName;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static string Repeat(string text, int count) => new StringBuilder(text.Length * count).Insert(0, text, count).ToString();

    public static TheoryData<string, string, string> Cases => new()
    {
        // (what, LogQL or SQL, the words the refusal must contain)
        { "20,000 nested parentheses", "logql:" + Repeat("(", 20_000) + "vector(1)" + Repeat(")", 20_000), "nests deeper than 64 levels" },
        { "20,000 unary signs", "logql:" + Repeat("-", 20_000) + "1", "nests deeper than 64 levels" },
        { "20,000 nested sums", "logql:" + Repeat("sum(", 20_000) + "count_over_time({app=\"a\"}[1m])" + Repeat(")", 20_000), "nests deeper than 64 levels" },
        { "a chain of 20,000 additions", "logql:1" + Repeat("+1", 20_000), "more than 256 binary operators" },
        { "20,000 nested label filter parentheses", "logql:{app=\"a\"} | " + Repeat("(", 20_000) + "x=\"1\"" + Repeat(")", 20_000), "nests deeper than 64 levels" },
        { "a chain of 20,000 label filters", "logql:{app=\"a\"} | x=\"1\"" + Repeat(" and x=\"1\"", 20_000), "more than 256 binary operators" },
        { "SQL with 20,000 nested function calls", "sql:SELECT " + Repeat("abs(", 20_000) + "1" + Repeat(")", 20_000), "" },
        { "SQL with 400 nested function calls", "sql:SELECT " + Repeat("abs(", 400) + "1" + Repeat(")", 400) + " AS x FROM logs", "nests too deeply" },
        { "SQL with 300 nested subqueries", "sql:SELECT * FROM " + Repeat("(SELECT * FROM ", 300) + "logs" + Repeat(")", 300), "nests too deeply" },
    };

    [Fact]
    public async Task Every_query_nested_past_its_bound_is_a_400_naming_the_bound_and_the_process_keeps_serving()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        foreach (var (name, query, expected) in Cases.Select(c => ((string)c.Data.Item1, (string)c.Data.Item2, (string)c.Data.Item3)))
        {
            using var response = await SendAsync(icegate, query);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: expected 400, got {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
            Assert.True(body.Contains(expected, StringComparison.Ordinal), $"{name}: {body[..Math.Min(body.Length, 300)]}");
            Assert.False(icegate.HasExited, $"{name} ended the process:\n{icegate.Output}");
        }

        // Still serving both sides: a query answers, and so does ingest.
        using var sum = await SendAsync(icegate, "logql:vector(1)+vector(1)");
        Assert.Equal(HttpStatusCode.OK, sum.StatusCode);
        Assert.Contains("\"2\"", await sum.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        using var ingest = await _client.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), new ByteArrayContent(Proto.Logs("svc", "after the hostile queries")) { Headers = { ContentType = new("application/x-protobuf") } }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ingest.StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(IceGateProcess icegate, string query)
    {
        // POST: these queries are longer than a request line may be.
        return query.StartsWith("sql:", StringComparison.Ordinal)
            ? _client.PostAsync(new Uri(icegate.QueryUrl, "/api/v1/sql"), JsonContent.Create(new { query = query[4..] }), TestContext.Current.CancellationToken)
            : _client.PostAsync(new Uri(icegate.QueryUrl, "/loki/api/v1/query"), new FormUrlEncodedContent([new KeyValuePair<string, string>("query", query[6..])]), TestContext.Current.CancellationToken);
    }
}
