using System.Net;
using System.Text.Json;
using IceGate.Tests;

namespace IceGate.Server.Tests;

/// <summary>IceGate observed with IceGate: <c>Telemetry:OtlpEndpoint=self</c> sends its own traces to its OTLP/gRPC listener, and they read back from the spans table.</summary>
public sealed class SelfTelemetryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-self-").FullName;
    private readonly HttpClient _client = new();

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Ingest_wal_segments_and_queries_are_traced_into_icegates_own_spans_table()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Telemetry:OtlpEndpoint=self"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using (var content = new ByteArrayContent(Proto.Logs("shop", "traced")) { Headers = { ContentType = new("application/x-protobuf") } })
        using (var response = await _client.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), content, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        string[] expected = ["ingest logs", "wal segment logs", "wal build", "wal put", "query sql"];
        const string Sql = "SELECT name, span_id, parent_span_id, links FROM spans WHERE service_name = 'icegate'";
        var names = new HashSet<string>();
        JsonElement rows = default;
        for (var attempt = 0; attempt < 150 && !expected.All(names.Contains); attempt++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            using var document = JsonDocument.Parse(await _client.GetStringAsync(new Uri(icegate.QueryUrl, $"/api/v1/sql?q={Uri.EscapeDataString(Sql)}"), TestContext.Current.CancellationToken));
            rows = document.RootElement.GetProperty("rows").Clone();
            names = [.. rows.EnumerateArray().Select(r => r[0].GetString()!)];
        }

        Assert.True(expected.All(names.Contains), $"spans of icegate: {string.Join(", ", names)}");

        // The build and the PUT are children of their segment, and the segment links to the request that waited for it.
        var spans = rows.EnumerateArray().Select(r => (Name: r[0].GetString()!, Id: r[1].GetString()!, Parent: r[2].GetString(), Links: r[3])).ToList();
        var segments = spans.Where(s => s.Name == "wal segment logs").ToList();
        Assert.Contains(spans, s => s.Name == "wal build" && segments.Any(segment => segment.Id == s.Parent));
        Assert.Contains(spans, s => s.Name == "wal put" && segments.Any(segment => segment.Id == s.Parent));
        var ingests = spans.Where(s => s.Name == "ingest logs").Select(s => s.Id).ToHashSet();
        Assert.Contains(segments, segment => segment.Links.EnumerateArray().Any(link => ingests.Contains(link.GetProperty("span_id").GetString()!)));
    }
}
