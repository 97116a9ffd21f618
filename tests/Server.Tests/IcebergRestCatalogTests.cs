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
    public async Task On_s3_load_table_hands_engines_the_s3_file_io_settings_but_never_the_store_credentials()
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
        Assert.Equal("us-east-1", config.GetProperty("client.region").GetString());
        Assert.False(config.TryGetProperty("s3.access-key-id", out _));
        Assert.False(config.TryGetProperty("s3.secret-access-key", out _));
    }

    [Fact]
    public async Task With_credential_vending_configured_load_table_hands_out_the_vended_key_pair_only()
    {
        var environment = IceGateProcess.S3Environment();
        environment["ICEGATE_CATALOG__VENDEDACCESSKEY"] = "reader-key";
        environment["ICEGATE_CATALOG__VENDEDSECRETKEY"] = "reader-secret";
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        (await WaitForTablesAsync(icegate.QueryUrl)).Dispose();
        using var logs = await GetJsonAsync(icegate.QueryUrl, "/v1/namespaces/icegate/tables/logs");
        var config = logs.RootElement.GetProperty("config");
        Assert.Equal("reader-key", config.GetProperty("s3.access-key-id").GetString());
        Assert.Equal("reader-secret", config.GetProperty("s3.secret-access-key").GetString());
    }

    [Fact]
    public async Task No_response_of_any_endpoint_contains_the_store_secret()
    {
        var environment = IceGateProcess.S3Environment();
        var secret = environment["ICEGATE_STORE__S3__SECRETKEY"];
        await using var icegate = IceGateProcess.Start(_directory, environment, "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        (await WaitForTablesAsync(icegate.QueryUrl)).Dispose();
        string[] paths =
        [
            "/health", "/ready", "/metrics", "/openapi/icegate.json", "/v1/config", "/v1/namespaces", "/v1/namespaces/icegate", "/v1/namespaces/icegate/tables",
            "/v1/namespaces/icegate/tables/logs", "/v1/namespaces/icegate/tables/spans", "/v1/namespaces/icegate/tables/metrics", "/v1/namespaces/nope/tables/logs",
            "/loki/api/v1/status/buildinfo", "/loki/api/v1/labels", "/loki/api/v1/query?query=vector(1)",
            "/api/v1/sql?query=" + Uri.EscapeDataString("SELECT current_setting('s3_secret_access_key')"),
            "/api/v1/sql?query=" + Uri.EscapeDataString("SELECT * FROM duckdb_secrets()"),
            "/api/v1/sql?query=" + Uri.EscapeDataString("SELECT * FROM duckdb_settings()"),
            "/api/v1/sql?query=" + Uri.EscapeDataString("SELECT count(*) FROM logs"),
        ];
        foreach (var path in paths)
        {
            using var response = await _client.GetAsync(new Uri(icegate.QueryUrl, path), TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            var headers = string.Join("\n", response.Headers.Concat(response.Content.Headers).Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));
            Assert.False(body.Contains(secret, StringComparison.Ordinal) || headers.Contains(secret, StringComparison.Ordinal), $"{path} answered the store's secret key");
        }
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
