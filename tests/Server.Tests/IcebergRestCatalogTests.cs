using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace IceGate.Server.Tests;

public sealed class IcebergRestCatalogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-rest-").FullName;
    private readonly HttpClient _client = new();

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Engines_find_the_signal_tables_and_load_their_metadata()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        var tables = await WaitForTablesAsync(icegate.QueryUrl);
        Assert.Equal(["logs", "metrics", "spans"], tables.RootElement.GetProperty("identifiers").EnumerateArray().Select(i => i.GetProperty("name").GetString()).Order());
        Assert.All(tables.RootElement.GetProperty("identifiers").EnumerateArray(), i => Assert.Equal("icegate", i.GetProperty("namespace")[0].GetString()));

        using var config = await GetJsonAsync(icegate.QueryUrl, "/v1/config");
        Assert.Equal(JsonValueKind.Object, config.RootElement.GetProperty("defaults").ValueKind);
        Assert.Equal(JsonValueKind.Object, config.RootElement.GetProperty("overrides").ValueKind);

        using var namespaces = await GetJsonAsync(icegate.QueryUrl, "/v1/namespaces");
        Assert.Equal("icegate", namespaces.RootElement.GetProperty("namespaces")[0][0].GetString());

        using var logs = await GetJsonAsync(icegate.QueryUrl, "/v1/namespaces/icegate/tables/logs");
        var location = logs.RootElement.GetProperty("metadata-location").GetString()!;
        Assert.StartsWith("file:///", location, StringComparison.Ordinal);
        Assert.EndsWith(".metadata.json", location, StringComparison.Ordinal);
        Assert.True(File.Exists(new Uri(location).LocalPath));
        var metadata = logs.RootElement.GetProperty("metadata");
        Assert.Equal(2, metadata.GetProperty("format-version").GetInt32());
        Assert.Equal("tenant_id", metadata.GetProperty("schemas")[0].GetProperty("fields")[0].GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Object, logs.RootElement.GetProperty("config").ValueKind);

        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(icegate.QueryUrl, "/v1/namespaces/icegate/tables/spans")), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Theory]
    [InlineData("/v1/namespaces/icegate/tables/nope", "NoSuchTableException")]
    [InlineData("/v1/namespaces/nope/tables", "NoSuchNamespaceException")]
    [InlineData("/v1/namespaces/nope", "NoSuchNamespaceException")]
    [InlineData("/v1/namespaces/a%1Fb/tables/logs", "NoSuchNamespaceException")]
    public async Task Missing_namespaces_and_tables_are_404_with_the_protocols_error_shape(string path, string type)
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        (await WaitForTablesAsync(icegate.QueryUrl)).Dispose();
        using var response = await _client.GetAsync(new Uri(icegate.QueryUrl, path), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(type, error.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(404, error.RootElement.GetProperty("error").GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task With_a_token_configured_requests_without_it_are_refused()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Catalog:Token=s3cret"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using var refused = await _client.GetAsync(new Uri(icegate.QueryUrl, "/v1/config"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(icegate.QueryUrl, "/v1/config"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        using var accepted = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task On_s3_load_table_hands_engines_the_s3_file_io_settings()
    {
        var environment = IceGateProcess.S3Environment();
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        (await WaitForTablesAsync(icegate.QueryUrl)).Dispose();
        using var logs = await GetJsonAsync(icegate.QueryUrl, "/v1/namespaces/icegate/tables/logs");
        Assert.StartsWith($"s3://{Environment.GetEnvironmentVariable("S3_BUCKET")}/tests/", logs.RootElement.GetProperty("metadata-location").GetString(), StringComparison.Ordinal);
        var config = logs.RootElement.GetProperty("config");
        Assert.Equal(environment["ICEGATE_STORE__S3__ENDPOINT"], config.GetProperty("s3.endpoint").GetString());
        Assert.Equal("true", config.GetProperty("s3.path-style-access").GetString());
        Assert.Equal(Environment.GetEnvironmentVariable("S3_ACCESS_KEY"), config.GetProperty("s3.access-key-id").GetString());
        Assert.Equal("us-east-1", config.GetProperty("client.region").GetString());
    }

    private async Task<JsonDocument> WaitForTablesAsync(Uri baseUrl)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            using var response = await _client.GetAsync(new Uri(baseUrl, "/v1/namespaces/icegate/tables"), TestContext.Current.CancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                if (document.RootElement.GetProperty("identifiers").GetArrayLength() == 3)
                {
                    return document;
                }

                document.Dispose();
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new InvalidOperationException("The signal tables were not created within 10 s.");
    }

    private async Task<JsonDocument> GetJsonAsync(Uri baseUrl, string path)
    {
        using var response = await _client.GetAsync(new Uri(baseUrl, path), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
