using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;

using IceGate.Tests;

namespace IceGate.Server.Tests;

public sealed class BadInputTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-bad-").FullName;
    private readonly HttpClient _client = new();

    public void Dispose()
    {
        _client.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    public static TheoryData<string, int> HttpCases => new()
    {
        { "truncated protobuf", 400 },
        { "wrong content type", 415 },
        { "invalid gzip", 400 },
        { "unsupported content encoding", 400 },
        { "body over the limit", 413 },
        { "gzip body over the limit", 413 },
        { "deeply nested attribute value", 400 },
        { "invalid UTF-8", 400 },
        { "malformed tenant", 400 },
        { "wrong wire type", 400 },
    };

    [Fact]
    public async Task Every_bad_request_gets_its_status_and_acknowledged_records_survive_them_all()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Ingest:MaxBodyBytes=100000"]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        using (var first = await PostAsync(icegate, Proto.Logs("svc", "acknowledged before")))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        foreach (var (name, status) in HttpCases.Select(c => ((string)c.Data.Item1, (int)c.Data.Item2)))
        {
            using var response = await SendBadAsync(icegate, name);
            Assert.True(status == (int)response.StatusCode, $"{name}: expected {status}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            if (status != 415)
            {
                // The body is a google.rpc.Status: field 2 holds a message.
                var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
                Assert.True(body.Length > 2 && body[0] == 0x08, $"{name}: no google.rpc.Status body");
            }
        }

        using (var last = await PostAsync(icegate, Proto.Logs("svc", "acknowledged after")))
        {
            Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        }

        var bodies = WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal ORDER BY timestamp").Select(r => r[0]).ToList();
        Assert.Equal(["acknowledged before", "acknowledged after"], bodies);
        Assert.False(icegate.HasExited);
    }

    [Fact]
    public async Task A_bad_record_is_rejected_alone_as_a_partial_success()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        byte[] Record(byte[] body) => new Proto().Fixed64(1, 1_700_000_000_000_000_000).Message(5, new Proto().Bytes(1, body));
        var request = new Proto().Message(1, new Proto().Message(2, new Proto()
            .Message(2, Record("first"u8.ToArray()))
            .Message(2, Record([0x62, 0xFF, 0x61, 0x64]))
            .Message(2, Record("third"u8.ToArray()))));

        using var response = await PostAsync(icegate, request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        // ExportLogsServiceResponse { 1: partial_success { 1: rejected_log_records = 1, 2: error_message } }
        Assert.Equal(0x0A, body[0]);
        Assert.Equal([0x08, 0x01, 0x12], body[2..5]);
        Assert.Contains("UTF-8", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);

        // JSON is transcoded before records are decoded, so a malformed id in it fails the whole request.
        const string json = """{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"json ok"}},{"traceId":"abc","body":{"stringValue":"x"}}]}]}]}""";
        using var jsonResponse = await PostAsync(icegate, System.Text.Encoding.UTF8.GetBytes(json), contentType: "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, jsonResponse.StatusCode);

        var bodies = WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal ORDER BY body").Select(r => r[0]).ToList();
        Assert.Equal(["first", "third"], bodies);
    }

    [Fact]
    public async Task Json_requests_are_answered_in_json()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        const string good = """{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1544712660300000000","body":{"stringValue":"from json"}}]}]}]}""";

        using (var accepted = await PostAsync(icegate, System.Text.Encoding.UTF8.GetBytes(good), contentType: "application/json", tenant: "json-tenant"))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            Assert.Equal("application/json", accepted.Content.Headers.ContentType?.MediaType);
            Assert.Equal("{}", await accepted.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        using (var refused = await PostAsync(icegate, "{\"resourceLogs\": ["u8.ToArray(), contentType: "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            using var status = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal(3, status.RootElement.GetProperty("code").GetInt32());
            Assert.Contains("JSON", status.RootElement.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(["json-tenant", "from json"], WalContents.Query(icegate.WalDirectory("logs"), "SELECT tenant_id, body FROM wal").Single());
    }

    [Fact]
    public async Task Bad_grpc_calls_get_grpc_statuses_in_trailers()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: "serve");
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        const string logs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

        Assert.Equal("0", await GrpcStatusAsync(icegate, logs, Proto.Frame(Proto.Logs("svc", "fine"))));
        Assert.Equal("3", await GrpcStatusAsync(icegate, logs, Proto.Frame(Proto.Logs("svc", "cut")[..^3])));
        // Framing violations are answered INTERNAL by Grpc.AspNetCore, as by every gRPC server; corrupt gzip is INVALID_ARGUMENT (GzipMessageCompression).
        Assert.Equal("13", await GrpcStatusAsync(icegate, logs, [.. Proto.Frame(Proto.Logs("svc", "one")), .. Proto.Frame(Proto.Logs("svc", "two"))]));
        Assert.Equal("13", await GrpcStatusAsync(icegate, logs, Proto.Frame(Proto.Logs("svc", "short"))[..^2]));
        Assert.Equal("12", await GrpcStatusAsync(icegate, "/no.such.Service/Export", Proto.Frame([])));
        Assert.Equal("13", await GrpcStatusAsync(icegate, logs, Proto.Frame(Proto.Logs("svc", "x"), compressed: true)));
        Assert.Equal("3", await GrpcStatusAsync(icegate, logs, Proto.Frame([1, 2, 3], compressed: true), "gzip"));
        Assert.Equal("12", await GrpcStatusAsync(icegate, logs, Proto.Frame([1, 2, 3], compressed: true), "snappy"));
        Assert.Equal("0", await GrpcStatusAsync(icegate, logs, Proto.Frame(Gzip(Proto.Logs("svc", "compressed")), compressed: true), "gzip"));
        Assert.Equal("3", await GrpcStatusAsync(icegate, logs, Proto.Frame(Proto.Logs("svc", "x")), tenant: "bad tenant!"));

        var bodies = WalContents.Query(icegate.WalDirectory("logs"), "SELECT body FROM wal ORDER BY body").Select(r => r[0]).ToList();
        Assert.Equal(["compressed", "fine"], bodies);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Nested(int depth)
    {
        byte[] value = new Proto().String(1, "leaf");
        for (var i = 0; i < depth; i++)
        {
            value = new Proto().Message(6, new Proto().Message(1, Proto.KeyValue("k", value)));
        }

        return value;
    }

    private async Task<HttpResponseMessage> SendBadAsync(IceGateProcess icegate, string name)
    {
        var good = Proto.Logs("svc", "never stored");
        return name switch
        {
            "truncated protobuf" => await PostAsync(icegate, good[..^4]),
            "wrong content type" => await PostAsync(icegate, good, contentType: "text/plain"),
            "invalid gzip" => await PostAsync(icegate, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7], encoding: "gzip"),
            "unsupported content encoding" => await PostAsync(icegate, good, encoding: "br"),
            "body over the limit" => await PostAsync(icegate, Proto.Logs("svc", new string('x', 200_000))),
            "gzip body over the limit" => await PostAsync(icegate, Gzip(Proto.Logs("svc", new string('x', 200_000))), encoding: "gzip"),
            "deeply nested attribute value" => await PostAsync(icegate, new Proto().Message(1, new Proto().Message(2, new Proto().Message(2, new Proto().Message(6, Proto.KeyValue("deep", Nested(40))))))),
            "invalid UTF-8" => await PostAsync(icegate, new Proto().Message(1, new Proto().Message(2, new Proto().Message(2, new Proto().Message(5, new Proto().Bytes(1, [0x61, 0xC3, 0x28])))))),
            "malformed tenant" => await PostAsync(icegate, good, tenant: "tenant/../../etc"),
            "wrong wire type" => await PostAsync(icegate, new Proto().Varint(1, 5)),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    private async Task<HttpResponseMessage> PostAsync(IceGateProcess icegate, byte[] body, string contentType = "application/x-protobuf", string? encoding = null, string? tenant = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        // A body the server refuses by its Content-Length is answered before it is read, and the
        // connection closed; a client still sending may then see a reset instead of the 413.
        // Waiting for "100 Continue" (as clients sending large bodies should) avoids that race.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(icegate.OtlpHttpUrl, "/v1/logs")) { Content = content };
        request.Headers.ExpectContinue = body.Length > 64 * 1024;
        if (tenant is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Scope-OrgID", tenant);
        }

        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private async Task<string?> GrpcStatusAsync(IceGateProcess icegate, string path, byte[] body, string? encoding = null, string? tenant = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(icegate.OtlpGrpcUrl, path))
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        }

        if (tenant is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Scope-OrgID", tenant);
        }

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.Single()
            : response.Headers.TryGetValues("grpc-status", out var header) ? header.Single() : null;
    }
}
