using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using IceGate.Catalog;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;

namespace IceGate.Server.Tests;

public sealed class FreshnessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-fresh-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task With_default_settings_an_acknowledged_record_is_in_the_iceberg_table_within_a_minute()
    {
        var token = TestContext.Current.CancellationToken;
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(token);
        using var http = new HttpClient();
        var content = new ByteArrayContent(Proto.Logs("fresh", "acknowledged at once"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using (var response = await http.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), content, token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var acknowledged = Stopwatch.StartNew();
        var catalog = new IcebergCatalog(new LocalObjectStore(Path.Combine(_directory, "data")));
        long records = 0;
        while (records == 0 && acknowledged.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(500, token);
            var table = await catalog.LoadTableAsync("icegate", "logs", token);
            records = (await new ScanPlanner(catalog).PlanAsync(table.Metadata, new ScanRequest(), token)).Files.Sum(f => f.RecordCount);
        }

        Assert.Equal(1, records);
        Assert.True(acknowledged.Elapsed < TimeSpan.FromSeconds(60), $"the record took {acknowledged.Elapsed.TotalSeconds:F0} s to reach the table");
        var metrics = await http.GetStringAsync(new Uri(icegate.QueryUrl, "/metrics"), token);
        Assert.Equal(1, PrometheusSamples.Sum(metrics, "icegate_shift_commits_total", ("table", "logs")));
        Assert.True(PrometheusSamples.Sum(metrics, "icegate_table_data_files", ("table", "logs")) >= 1);
    }
}
