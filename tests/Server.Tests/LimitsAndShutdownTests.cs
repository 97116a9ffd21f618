using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using IceGate.Tests;

namespace IceGate.Server.Tests;

public sealed class LimitsAndShutdownTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-limits-").FullName;
    private readonly HttpClient _client = new();

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_tenant_over_its_record_rate_gets_429_with_retry_after_while_others_are_served()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Ingest:RecordsPerSecondPerTenant=100"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var batch = Enumerable.Range(0, 80).Select(i => $"record {i}").ToArray();

        // Sent together, so that the bucket cannot refill between them however slow the host is.
        var pair = await Task.WhenAll(PostAsync(icegate, "noisy", batch), PostAsync(icegate, "noisy", batch));
        try
        {
            Assert.Single(pair, r => r.StatusCode == HttpStatusCode.OK);
            var refused = Assert.Single(pair, r => r.StatusCode == HttpStatusCode.TooManyRequests);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }
        finally
        {
            foreach (var response in pair)
            {
                response.Dispose();
            }
        }

        using (var other = await PostAsync(icegate, "quiet", batch))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        await Task.Delay(1100, TestContext.Current.CancellationToken);
        using (var later = await PostAsync(icegate, "noisy", batch))
        {
            Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        }

        var counts = WalContents.Query(icegate.WalDirectory("logs"), "SELECT tenant_id, count(*) FROM wal GROUP BY 1 ORDER BY 1");
        Assert.Equal([["noisy", 160L], ["quiet", 80L]], counts);
    }

    [Fact]
    public async Task Sigterm_answers_requests_in_flight_and_flushes_them_before_exiting()
    {
        var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Ingest:Wal:GroupWindow=00:00:02"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var acknowledged = new ConcurrentBag<string>();

        // With a 2 s window, these requests are all waiting in one open group when SIGTERM arrives.
        var requests = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            using var response = await PostAsync(icegate, "default", [$"in flight {i}"]);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                acknowledged.Add($"in flight {i}");
            }

            return response.StatusCode;
        })).ToArray();
        await Task.Delay(500, TestContext.Current.CancellationToken);
        using (var kill = Process.Start("kill", ["-TERM", icegate.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var statuses = await Task.WhenAll(requests);
        Assert.Equal(0, await icegate.WaitForExitAsync(TestContext.Current.CancellationToken));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var stored = WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal").Select(r => (string)r[0]!).Order();
        Assert.Equal(acknowledged.Order(), stored);
        Assert.Equal(6, acknowledged.Count);
        await icegate.DisposeAsync();
    }

    private async Task<HttpResponseMessage> PostAsync(IceGateProcess icegate, string tenant, string[] bodies)
    {
        var content = new ByteArrayContent(Proto.Logs("limits", bodies));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(icegate.OtlpHttpUrl, "/v1/logs")) { Content = content };
        request.Headers.Add("X-Scope-OrgID", tenant);
        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
