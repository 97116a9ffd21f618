using System.Net;
using System.Text.Json;

namespace IceGate.Server.Tests;

public sealed class ServeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-serve-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Serve_with_no_configuration_answers_health_and_keeps_state_under_data()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);

        using var client = new HttpClient();
        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri(icegate.QueryUrl, "/health"), TestContext.Current.CancellationToken));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        Assert.Contains(Path.Combine(_directory, "data"), health.RootElement.GetProperty("store").GetString(), StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(_directory, "data", "objects")));
    }

    [Fact]
    public async Task Metrics_report_store_requests_and_wal_throughput_in_prometheus_format()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var client = new HttpClient();
        var content = new ByteArrayContent(IceGate.Tests.Proto.Logs("metered", "one", "two", "three"));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
        using (var response = await client.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), content, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var metrics = await client.GetAsync(new Uri(icegate.QueryUrl, "/metrics"), TestContext.Current.CancellationToken);
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        var text = await metrics.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        double Value(string name, string label, string value) => IceGate.Tests.PrometheusSamples.Sum(text, name, (label, value));

        Assert.Equal(1, Value("icegate_wal_segments_total", "signal", "logs"));
        Assert.Equal(3, Value("icegate_wal_records_total", "signal", "logs"));
        Assert.Equal(0, Value("icegate_wal_segments_total", "signal", "spans"));
        Assert.Equal(0, Value("icegate_wal_pending_bytes", "signal", "logs"));
        Assert.True(Value("icegate_object_store_requests_total", "operation", "put") >= 1);
        Assert.True(Value("icegate_object_store_written_bytes_total", "operation", "put") >= Value("icegate_wal_written_bytes_total", "signal", "logs"));
        Assert.Equal(1, Value("icegate_ingest_ack_seconds_count", "signal", "logs"));
        Assert.Equal(1, Value("icegate_wal_segment_build_seconds_count", "signal", "logs"));
        Assert.Contains("# TYPE icegate_wal_pending_bytes gauge", text.Split('\n'));
        Assert.Contains("# TYPE icegate_ingest_ack_seconds histogram", text.Split('\n'));
    }

    [Fact]
    public async Task Health_is_503_when_the_object_store_becomes_unreachable()
    {
        var environment = IceGateProcess.S3Environment();
        await using var relay = new TcpRelay(new Uri(environment["ICEGATE_STORE__S3__ENDPOINT"]));
        environment["ICEGATE_STORE__S3__ENDPOINT"] = relay.Url.ToString();
        environment["ICEGATE_STORE__RETRY__MAXATTEMPTS"] = "1";
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        await relay.CutAsync();

        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri(icegate.QueryUrl, "/health"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("store unreachable", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_uses_the_real_s3_server_when_configured_for_it()
    {
        var environment = IceGateProcess.S3Environment();
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        Assert.Contains("state in s3 bucket", icegate.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("does-not-exist.json", "--config", "does-not-exist.json")]
    [InlineData("bad.json", "--config", "bad.json")]
    public async Task Configuration_mistakes_stop_startup_with_a_message_naming_them(string named, params string[] flags)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "bad.json"), "{ not json", TestContext.Current.CancellationToken);
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", .. flags]);
        Assert.Equal(1, await icegate.WaitForExitAsync(TestContext.Current.CancellationToken));
        Assert.Contains(named, icegate.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", icegate.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_file_sets_the_data_directory()
    {
        var config = Path.Combine(_directory, "icegate.config.json");
        await File.WriteAllTextAsync(config, """{ "DataDirectory": "elsewhere" }""", TestContext.Current.CancellationToken);
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--config", config]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        Assert.True(Directory.Exists(Path.Combine(_directory, "elsewhere", "objects")));
    }
}
