using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

using IceGate.Tests;

namespace IceGate.Server.Tests;

public sealed class BackpressureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-backpressure-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task With_slow_store_writes_clients_get_503_with_retry_after_and_memory_stays_bounded()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments:
        [
            "serve",
            "--Store:Faults:LatencyRate=1", "--Store:Faults:MaxLatency=00:00:01",
            "--Ingest:Wal:MaxPendingBytes=600000",
        ]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var statuses = new ConcurrentBag<HttpStatusCode>();
        var retryAfters = new ConcurrentBag<string>();
        var acknowledged = new ConcurrentBag<string>();
        long peakWorkingSet = 0;
        var body = new string('x', 2000);

        using var sampler = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            using var process = Process.GetProcessById(icegate.ProcessId);
            while (!sampler.IsCancellationRequested)
            {
                process.Refresh();
                peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
                await Task.Delay(50);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            using var http = new HttpClient();
            for (var request = 0; request < 15; request++)
            {
                var id = $"c{client}-r{request}";
                var content = new ByteArrayContent(Proto.Logs("pressure", Enumerable.Range(0, 100).Select(k => $"{id}-{k}-{body}").ToArray()));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                using var response = await http.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), content);
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged.Add(id);
                }
                else if (response.Headers.RetryAfter is { } retryAfter)
                {
                    retryAfters.Add(retryAfter.ToString());
                }
            }
        })));
        await sampler.CancelAsync();
        await sampling;

        Assert.Contains(HttpStatusCode.ServiceUnavailable, statuses);
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"unexpected {s}"));
        Assert.Equal(statuses.Count(s => s == HttpStatusCode.ServiceUnavailable), retryAfters.Count);

        // 120 requests of ~200 KB decoded each were offered; the WAL holds at most 600 KB of them at a time.
        Assert.True(peakWorkingSet < 600L << 20, $"peak working set {peakWorkingSet >> 20} MiB");

        var stored = WalContents.Query(icegate.WalDirectory("logs"), "SELECT split_part(body, '-', 1) || '-' || split_part(body, '-', 2), count(*) FROM wal GROUP BY 1")
            .ToDictionary(r => (string)r[0]!, r => (long)r[1]!);
        Assert.All(acknowledged, id => Assert.Equal(100, stored.GetValueOrDefault(id)));
    }
}
