using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using IceGate.Tests;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;

namespace IceGate.Server.Tests;

/// <summary>The binary started with keys made by <c>icegate keys new</c>: every endpoint over every protocol needs one, of the right scope and tenant.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-auth-").FullName;
    private readonly HttpClient _client = new();
    private readonly Dictionary<string, string> _tokens = [];
    private IceGateProcess _icegate = null!;

    /// <summary>Every endpoint with the scope it needs: (listener, method, path).</summary>
    private static readonly (string Listener, string Method, string Path)[] s_readEndpoints =
    [
        ("query", "GET", "/api/v1/sql?query=SELECT%201"),
        ("query", "POST", "/api/v1/sql"),
        ("query", "GET", "/api/v1/logql?query=vector(1)"),
        ("query", "GET", "/loki/api/v1/query?query=vector(1)"),
        ("query", "GET", "/loki/api/v1/query_range?query=vector(1)"),
        ("query", "GET", "/loki/api/v1/labels"),
        ("query", "GET", "/loki/api/v1/label/service_name/values"),
        ("query", "GET", "/loki/api/v1/series?match[]=%7Bservice_name%3D%22a%22%7D"),
        ("query", "GET", "/loki/api/v1/index/stats?query=%7Bservice_name%3D%22a%22%7D"),
        ("query", "GET", "/loki/api/v1/index/volume?query=%7Bservice_name%3D%22a%22%7D"),
        ("query", "GET", "/loki/api/v1/status/buildinfo"),
        ("query", "GET", "/metrics"),
        ("query", "GET", "/openapi/icegate.json"),
        ("query", "GET", "/v1/config"),
        ("query", "GET", "/v1/namespaces"),
        ("query", "GET", "/v1/namespaces/icegate/tables/logs"),
    ];

    private static readonly (string Listener, string Method, string Path)[] s_writeEndpoints =
    [
        ("query", "POST", "/loki/api/v1/push"),
        ("otlp-http", "POST", "/v1/logs"),
        ("otlp-http", "POST", "/v1/traces"),
        ("otlp-http", "POST", "/v1/metrics"),
    ];

    public async ValueTask InitializeAsync()
    {
        var entries = new List<string>();
        foreach (var (name, tenant, scopes) in new[] { ("writer", "acme", "write"), ("reader", "acme", "read"), ("globex", "globex", "read,write"), ("operator", "*", "admin"), ("lakehouse", "*", "read") })
        {
            var (token, entry) = await IceGateKeys.NewAsync(name, tenant, scopes);
            _tokens[name] = token;
            entries.Add(entry);
        }

        var keysFile = Path.Combine(_directory, "keys.json");
        await File.WriteAllTextAsync(keysFile, $"[{string.Join(",\n", entries)}]", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(_tokens["writer"], await File.ReadAllTextAsync(keysFile, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        _icegate = IceGateProcess.Start(_directory, arguments: ["serve", $"--Auth:KeysFile={keysFile}"]);
        await _icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _icegate.DisposeAsync();
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Every_endpoint_refuses_a_missing_or_wrong_token_with_401_and_health_stays_open()
    {
        foreach (var endpoint in s_readEndpoints.Concat(s_writeEndpoints))
        {
            using (var none = await SendAsync(endpoint, token: null))
            {
                Assert.True(none.StatusCode == HttpStatusCode.Unauthorized, $"{endpoint} without a token: {(int)none.StatusCode}");
                Assert.Contains("Bearer", none.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }

            using var wrong = await SendAsync(endpoint, token: "igk_not-a-key");
            Assert.True(wrong.StatusCode == HttpStatusCode.Unauthorized, $"{endpoint} with a wrong token: {(int)wrong.StatusCode}");
        }

        using var health = await _client.GetAsync(new Uri(_icegate.QueryUrl, "/health"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var metrics = await SendAsync(("query", "GET", "/metrics"), _tokens["reader"]);
        var text = await metrics.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(PrometheusSamples.Sum(text, "icegate_auth_failures_total", ("reason", "missing_token")) > 0, text);
        Assert.True(PrometheusSamples.Sum(text, "icegate_auth_failures_total", ("reason", "wrong_token")) > 0, text);
    }

    [Fact]
    public async Task Every_endpoint_refuses_another_tenant_with_403_unless_the_key_is_for_every_tenant()
    {
        foreach (var endpoint in s_readEndpoints.Where(e => !e.Path.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            using var other = await SendAsync(endpoint, _tokens["reader"], tenant: "globex");
            Assert.True(other.StatusCode == HttpStatusCode.Forbidden, $"{endpoint} for another tenant: {(int)other.StatusCode}");
            using var own = await SendAsync(endpoint, _tokens["reader"], tenant: "acme");
            Assert.True(own.StatusCode != HttpStatusCode.Forbidden && own.StatusCode != HttpStatusCode.Unauthorized, $"{endpoint} for its own tenant: {(int)own.StatusCode}");
            using var any = await SendAsync(endpoint, _tokens["operator"], tenant: "globex");
            Assert.True(any.StatusCode != HttpStatusCode.Forbidden && any.StatusCode != HttpStatusCode.Unauthorized, $"{endpoint} with a key for every tenant: {(int)any.StatusCode}");
        }

        foreach (var endpoint in s_writeEndpoints)
        {
            using var other = await SendAsync(endpoint, _tokens["writer"], tenant: "globex");
            Assert.True(other.StatusCode == HttpStatusCode.Forbidden, $"{endpoint} for another tenant: {(int)other.StatusCode}");
        }

        // The REST catalog serves every tenant's files: a key bound to one tenant may not use it.
        foreach (var endpoint in s_readEndpoints.Where(e => e.Path.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            using var bound = await SendAsync(endpoint, _tokens["reader"]);
            Assert.Equal(HttpStatusCode.Forbidden, bound.StatusCode);
            using var any = await SendAsync(endpoint, _tokens["lakehouse"]);
            Assert.Equal(HttpStatusCode.OK, any.StatusCode);
        }
    }

    [Fact]
    public async Task Write_keys_send_read_keys_query_and_neither_does_the_other()
    {
        foreach (var endpoint in s_writeEndpoints)
        {
            using var read = await SendAsync(endpoint, _tokens["reader"]);
            Assert.True(read.StatusCode == HttpStatusCode.Forbidden, $"{endpoint} with a read key: {(int)read.StatusCode}");
        }

        foreach (var endpoint in s_readEndpoints.Where(e => !e.Path.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            using var write = await SendAsync(endpoint, _tokens["writer"]);
            Assert.True(write.StatusCode == HttpStatusCode.Forbidden, $"{endpoint} with a write key: {(int)write.StatusCode}");
        }

        using var pushed = await SendAsync(("query", "POST", "/loki/api/v1/push"), _tokens["writer"]);
        Assert.Equal(HttpStatusCode.NoContent, pushed.StatusCode);
        using var otlp = await SendAsync(("otlp-http", "POST", "/v1/logs"), _tokens["writer"]);
        Assert.Equal(HttpStatusCode.OK, otlp.StatusCode);

        // The key decides the tenant: both records are acme's, and a read key for acme sees them through SQL (Basic auth here).
        using var query = new HttpRequestMessage(HttpMethod.Get, new Uri(_icegate.QueryUrl, "/api/v1/sql?query=SELECT%20tenant_id%2C%20body%20FROM%20logs%20ORDER%20BY%20body&format=csv"));
        query.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"acme:{_tokens["reader"]}")));
        using var answer = await _client.SendAsync(query, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("tenant_id,body\nacme,pushed with a key\nacme,sent with a key\n", (await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task The_opentelemetry_exporter_sends_with_a_write_key_and_is_refused_with_a_read_key(OtlpExportProtocol protocol)
    {
        Export(protocol, _tokens["reader"], $"refused {protocol}");
        Export(protocol, _tokens["writer"], $"accepted {protocol}");
        var rows = WalContents.Query(_icegate.WalDirectory("logs"), "SELECT tenant_id, body FROM wal");
        Assert.Equal([["acme", $"accepted {protocol}"]], rows.Select(r => new[] { (string)r[0]!, (string)r[1]! }));
    }

    [Fact]
    public async Task Grpc_without_a_key_is_unauthenticated_and_with_a_read_key_or_for_another_tenant_permission_denied()
    {
        using var http2 = new HttpClient();
        foreach (var (token, tenant, status) in new[] { (null, null, "16"), ("igk_wrong", null, "16"), (_tokens["reader"], null, "7"), (_tokens["writer"], "globex", "7"), (_tokens["writer"], "acme", "0"), (_tokens["writer"], null, "0") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_icegate.OtlpGrpcUrl, "/opentelemetry.proto.collector.logs.v1.LogsService/Export"))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(Proto.Frame(Proto.Logs("grpc", "raw grpc"))) { Headers = { ContentType = new("application/grpc") } },
            };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            if (tenant is not null)
            {
                request.Headers.Add("X-Scope-OrgID", tenant);
            }

            using var response = await http2.SendAsync(request, TestContext.Current.CancellationToken);
            await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            var grpcStatus = response.Headers.TryGetValues("grpc-status", out var headers) || response.TrailingHeaders.TryGetValues("grpc-status", out headers) ? headers.Single() : null;
            Assert.True(status == grpcStatus, $"token {token}: grpc-status {grpcStatus}, HTTP {(int)response.StatusCode} {response}");
        }
    }

    [Fact]
    public async Task Tail_over_a_websocket_needs_a_read_key_for_its_tenant()
    {
        foreach (var (token, tenant, status) in new[] { (null, null, 401), ("igk_wrong", null, 401), (_tokens["writer"], null, 403), (_tokens["reader"], "globex", 403), (_tokens["reader"], null, 101) })
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            if (token is not null)
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
            }

            if (tenant is not null)
            {
                socket.Options.SetRequestHeader("X-Scope-OrgID", tenant);
            }

            var url = new UriBuilder(_icegate.QueryUrl) { Scheme = "ws", Path = "/loki/api/v1/tail", Query = "query=%7Bservice_name%3D%22a%22%7D" }.Uri;
            try
            {
                await socket.ConnectAsync(url, TestContext.Current.CancellationToken);
            }
            catch (WebSocketException)
            {
                // Refused at the upgrade: the status says why.
            }

            Assert.Equal(status, (int)socket.HttpStatusCode);
        }
    }

    private void Export(OtlpExportProtocol protocol, string token, string body)
    {
        using var loggers = LoggerFactory.Create(builder => builder.AddOpenTelemetry(otel =>
        {
            otel.IncludeFormattedMessage = true;
            otel.AddOtlpExporter((exporter, processor) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = protocol == OtlpExportProtocol.Grpc ? _icegate.OtlpGrpcUrl : new Uri(_icegate.OtlpHttpUrl, "/v1/logs");
                exporter.Headers = $"Authorization=Bearer {token}";
                processor.ExportProcessorType = ExportProcessorType.Simple;
            });
        }));
        loggers.CreateLogger("auth").LogInformation("{Body}", body);
    }

    private async Task<HttpResponseMessage> SendAsync((string Listener, string Method, string Path) endpoint, string? token, string? tenant = null)
    {
        var baseUrl = endpoint.Listener == "query" ? _icegate.QueryUrl : _icegate.OtlpHttpUrl;
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), new Uri(baseUrl, endpoint.Path));
        if (endpoint.Method == "POST")
        {
            request.Content = endpoint.Path switch
            {
                "/loki/api/v1/push" => new StringContent($$"""{"streams":[{"stream":{"service_name":"loki"},"values":[["{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000}}","pushed with a key"]]}]}""", Encoding.UTF8, "application/json"),
                "/v1/logs" => new ByteArrayContent(Proto.Logs("otlp", "sent with a key")) { Headers = { ContentType = new("application/x-protobuf") } },
                "/api/v1/sql" => new StringContent("""{"query":"SELECT 1"}""", Encoding.UTF8, "application/json"),
                _ => new ByteArrayContent([]) { Headers = { ContentType = new("application/x-protobuf") } },
            };
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (tenant is not null)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
