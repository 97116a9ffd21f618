using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

using IceGate.Tests;

namespace IceGate.Server.Tests;

public sealed class CrashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-crash-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task After_kill_9_every_record_of_every_acknowledged_request_is_in_the_wal_exactly_once()
    {
        const int clients = 8;
        const int recordsPerRequest = 50;
        var acknowledged = new ConcurrentBag<string>();
        var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var stop = new CancellationTokenSource();
        var senders = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            using var http = new HttpClient();
            for (var request = 0; !stop.IsCancellationRequested; request++)
            {
                var id = $"c{client}-r{request}";
                var content = new ByteArrayContent(Proto.Logs("crash", Enumerable.Range(0, recordsPerRequest).Select(k => $"{id}-{k}").ToArray()));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                try
                {
                    using var response = await http.PostAsync(new Uri(icegate.OtlpHttpUrl, "/v1/logs"), content);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.Add(id);
                    }
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToArray();

        await Task.Delay(2500, TestContext.Current.CancellationToken);
        await icegate.KillAsync();
        await stop.CancelAsync();
        await Task.WhenAll(senders);
        await icegate.DisposeAsync();
        Assert.True(acknowledged.Count >= clients, $"only {acknowledged.Count} requests were acknowledged before the kill");

        // A new process on the same directory keeps appending after what survived, never over it.
        await using var restarted = IceGateProcess.Start(_directory, arguments: "serve");
        await restarted.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using (var http = new HttpClient())
        {
            var content = new ByteArrayContent(Proto.Logs("crash", "after-restart"));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var response = await http.PostAsync(new Uri(restarted.OtlpHttpUrl, "/v1/logs"), content, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var counts = WalContents.Query(restarted.WalDirectory("logs"), "SELECT body, count(*) FROM wal GROUP BY body")
            .ToDictionary(r => (string)r[0]!, r => (long)r[1]!);
        Assert.All(counts, c => Assert.True(c.Value == 1, $"{c.Key} is in the WAL {c.Value} times"));
        foreach (var id in acknowledged)
        {
            for (var k = 0; k < recordsPerRequest; k++)
            {
                Assert.True(counts.ContainsKey($"{id}-{k}"), $"acknowledged record {id}-{k} is missing");
            }
        }

        Assert.True(counts.ContainsKey("after-restart"));
    }
}
