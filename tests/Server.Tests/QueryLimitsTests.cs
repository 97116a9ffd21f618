using System.Net;
using IceGate.Tests;

namespace IceGate.Server.Tests;

/// <summary>Query-side limits per tenant: each refusal names the limit and its setting, and other tenants are unaffected.</summary>
public sealed class QueryLimitsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-limits-").FullName;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(60) };
    private IceGateProcess _icegate = null!;

    public async ValueTask InitializeAsync()
    {
        _icegate = IceGateProcess.Start(_directory, arguments:
        [
            "serve", "--Shift:Enabled=false", "--Query:Limits:MaxEntries=50", "--Query:Timeout=00:00:20",
            "--Query:TenantLimits:narrow:MaxSeries=2", "--Query:TenantLimits:tiny:MaxBytesScanned=1000", "--Query:TenantLimits:busy:MaxConcurrentQueries=1",
        ]);
        await _icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        foreach (var tenant in new[] { "narrow", "tiny", "busy", "roomy" })
        {
            foreach (var service in new[] { "checkout", "payments", "search" })
            {
                using var content = new ByteArrayContent(Proto.Logs(service, "one line", "another line")) { Headers = { ContentType = new("application/x-protobuf") } };
                content.Headers.Add("X-Scope-OrgID", tenant);
                using var response = await _client.PostAsync(new Uri(_icegate.OtlpHttpUrl, "/v1/logs"), content, TestContext.Current.CancellationToken);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _icegate.DisposeAsync();
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_logql_limit_over_max_entries_is_refused_naming_the_setting()
    {
        var (status, body) = await GetAsync("roomy", "/loki/api/v1/query_range?query=%7Bservice_name%3D%22checkout%22%7D&limit=100000000&since=1h");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Query:Limits:MaxEntries", body, StringComparison.Ordinal);
        Assert.Contains("100000000 > 50", body, StringComparison.Ordinal);
        (status, body) = await GetAsync("roomy", "/loki/api/v1/query_range?query=%7Bservice_name%3D%22checkout%22%7D&limit=50&since=1h");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("one line", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_series_than_the_tenant_may_have_is_refused_naming_the_setting()
    {
        const string bySevice = "/loki/api/v1/query_range?query=sum%20by%20(service_name)%20(count_over_time(%7Bservice_name%3D~%22.%2B%22%7D%5B1m%5D))&since=1h&step=60";
        var (status, body) = await GetAsync("narrow", bySevice);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Query:Limits:MaxSeries", body, StringComparison.Ordinal);
        (status, body) = await GetAsync("roomy", bySevice);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("payments", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_statement_that_would_scan_more_bytes_than_allowed_is_refused_before_fetching()
    {
        var (status, body) = await GetAsync("tiny", "/api/v1/sql?query=SELECT%20count(*)%20FROM%20logs");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("Query:Limits:MaxBytesScanned", body, StringComparison.Ordinal);
        (status, body) = await GetAsync("roomy", "/api/v1/sql?query=SELECT%20count(*)%20FROM%20logs&format=csv");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("6", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tenant_past_its_concurrent_queries_gets_429_while_others_are_served()
    {
        // Counts to a hundred million: seconds of DuckDB work, cut short by the client below.
        const string slow = "/api/v1/sql?query=" + "WITH%20RECURSIVE%20t(n)%20AS%20(SELECT%201%20UNION%20ALL%20SELECT%20n%2B1%20FROM%20t%20WHERE%20n%20%3C%20100000000)%20SELECT%20count(*)%20FROM%20t";
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var running = GetAsync("busy", slow, abandon.Token);
        await WaitUntilRunningAsync();

        var (status, body) = await GetAsync("busy", "/api/v1/sql?query=SELECT%201");
        Assert.Equal((HttpStatusCode)429, status);
        Assert.Contains("Query:Limits:MaxConcurrentQueries", body, StringComparison.Ordinal);
        (status, body) = await GetAsync("busy", "/loki/api/v1/query_range?query=%7Bservice_name%3D%22checkout%22%7D&since=1h");
        Assert.Equal((HttpStatusCode)429, status);
        (status, _) = await GetAsync("roomy", "/api/v1/sql?query=SELECT%201");
        Assert.Equal(HttpStatusCode.OK, status);

        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await WaitUntilRunningAsync(count: 0);
        (status, _) = await GetAsync("busy", "/api/v1/sql?query=SELECT%201");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    private async Task WaitUntilRunningAsync(int count = 1)
    {
        for (var i = 0; i < 200; i++)
        {
            var (_, metrics) = await GetAsync("roomy", "/metrics");
            if (PrometheusSamples.Sum(metrics, "icegate_queries_running") == count)
            {
                return;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"icegate_queries_running never reached {count}");
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string tenant, string path, CancellationToken cancellationToken = default)
    {
        var token = cancellationToken.CanBeCanceled ? cancellationToken : TestContext.Current.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_icegate.QueryUrl, path));
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await _client.SendAsync(request, token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(token));
    }
}
