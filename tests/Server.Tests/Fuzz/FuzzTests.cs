using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using IceGate.Tests;

namespace IceGate.Server.Tests.Fuzz;

/// <summary>
/// Mutated input on every protocol, against the real binary over real sockets, with fixed seeds
/// and a time budget: the process must survive, answer every request with 2xx or 4xx (gRPC:
/// no INTERNAL, UNKNOWN or UNAVAILABLE), never drop a connection, and keep every record it
/// acknowledged before and during the run exactly once. gRPC framing violations may be INTERNAL,
/// the gRPC library's answer to a broken client.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private const int Seed = 20_261_204;

    // About two minutes in all, shared by the families; ICEGATE_FUZZ_SECONDS sets another budget (a longer local run).
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("ICEGATE_FUZZ_SECONDS"), out var seconds) ? seconds : 120);

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-fuzz-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly HttpClient _grpc = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly List<string> _acknowledged = [];
    private readonly List<string> _failures = [];
    private IceGateProcess _icegate = null!;

    public void Dispose()
    {
        _http.Dispose();
        _grpc.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Hostile_input_on_every_protocol_never_crashes_never_answers_5xx_and_loses_no_acknowledged_record()
    {
        await using var icegate = IceGateProcess.Start(_directory, arguments: ["serve", "--Ingest:MaxBodyBytes=1048576", "--Query:Timeout=00:00:20"]);
        _icegate = icegate;
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 20; i++)
        {
            await SendMarkedAsync();
        }

        (string Name, Func<Mutator, Task<string>> Send)[] families =
        [
            ("LogQL", LogQLAsync), ("SQL", SqlAsync), ("query parameters", ParametersAsync), ("OTLP protobuf", OtlpProtobufAsync),
            ("OTLP JSON", OtlpJsonAsync), ("gRPC frames", GrpcAsync), ("Loki push", LokiPushAsync), ("REST catalog", RestCatalogAsync),
            ("Flight SQL", FlightSqlAsync),
        ];
        var requests = new Dictionary<string, int>();
        for (var f = 0; f < families.Length; f++)
        {
            var (name, send) = families[f];
            var mutator = new Mutator(Seed + f);
            var deadline = DateTime.UtcNow + (s_budget / families.Length);
            var count = 0;
            while (DateTime.UtcNow < deadline && _failures.Count < 20)
            {
                if (await send(mutator) is { Length: > 0 } failure)
                {
                    _failures.Add($"{name} #{count}: {failure}");
                }

                if (++count % 50 == 0)
                {
                    await SendMarkedAsync();
                }
            }

            requests[name] = count;
            TestContext.Current.TestOutputHelper?.WriteLine($"{name}: {count} requests");
            Assert.False(icegate.HasExited, $"icegate exited during {name}:\n{icegate.Output}");
        }

        Assert.True(_failures.Count == 0, string.Join("\n", _failures) + "\n" + string.Join("\n", icegate.Output.Split('\n').Where(l => l.Contains("Exception", StringComparison.Ordinal)).Distinct().Take(10)));
        Assert.All(requests, r => Assert.True(r.Value >= 20, $"{r.Key}: only {r.Value} requests in the budget"));

        // Every record acknowledged before and during the run reads back exactly once.
        using var response = await _http.GetAsync(new Uri(icegate.QueryUrl, "/api/v1/sql?limit=1000000&query=" + Uri.EscapeDataString("SELECT body, count(*) AS n FROM logs WHERE starts_with(body, 'ack-') GROUP BY body")), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var counts = result.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(r => r[0].GetString()!, r => r[1].GetInt64());
        Assert.All(counts, c => Assert.True(c.Value == 1, $"{c.Key} read back {c.Value} times"));
        Assert.DoesNotContain(_acknowledged, a => !counts.ContainsKey(a));
        Assert.True(_acknowledged.Count >= 20 + (families.Length * 20 / 50));
    }

    private async Task SendMarkedAsync()
    {
        var marker = $"ack-{Guid.NewGuid():N}";
        using var content = new ByteArrayContent(Proto.Logs("fuzz-marked", marker)) { Headers = { ContentType = new("application/x-protobuf") } };
        using var response = await _http.PostAsync(new Uri(_icegate.OtlpHttpUrl, "/v1/logs"), content, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        _acknowledged.Add(marker);
    }

    private Task<string> LogQLAsync(Mutator mutator)
    {
        var query = mutator.Text(mutator.Pick(FuzzCorpus.LogQL), FuzzCorpus.LogQL);
        var path = mutator.Pick(["/loki/api/v1/query_range", "/loki/api/v1/query", "/api/v1/logql", "/loki/api/v1/series", "/loki/api/v1/index/stats"]);
        var parameter = path == "/loki/api/v1/series" ? "match[]" : "query";
        return mutator.Random.Next(2) == 0 && query.Length < 4000
            ? GetAsync(_icegate.QueryUrl, $"{path}?{parameter}={Uri.EscapeDataString(query)}{RandomParameters(mutator, 2)}", query)
            : SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(_icegate.QueryUrl, path)) { Content = new FormUrlEncodedContent([new(parameter, query), new("since", "1h")]) }, query);
    }

    private Task<string> SqlAsync(Mutator mutator)
    {
        var sql = mutator.Text(mutator.Pick(FuzzCorpus.Sql), FuzzCorpus.Sql);
        if (mutator.Random.Next(2) == 0 && sql.Length < 4000)
        {
            return GetAsync(_icegate.QueryUrl, $"/api/v1/sql?query={Uri.EscapeDataString(sql)}{RandomParameters(mutator, 2)}", sql);
        }

        var body = mutator.Random.Next(4) == 0 ? mutator.Text(JsonSerializer.Serialize(new { query = sql, format = "json" }), FuzzCorpus.Sql) : JsonSerializer.Serialize(new { query = sql, limit = mutator.Random.Next(-5, 100) });
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(_icegate.QueryUrl, "/api/v1/sql")) { Content = new StringContent(body, Encoding.UTF8, "application/json") }, body);
    }

    private Task<string> ParametersAsync(Mutator mutator)
    {
        var path = mutator.Pick(FuzzCorpus.QueryPaths);
        var query = path == "/api/v1/sql" ? "SELECT count(*) FROM logs" : mutator.Pick(FuzzCorpus.LogQL);
        var own = mutator.Random.Next(3) == 0 ? "" : $"query={Uri.EscapeDataString(query)}&match[]={Uri.EscapeDataString("{service_name=\"fuzz\"}")}";
        return GetAsync(_icegate.QueryUrl, $"{path}?{own}{RandomParameters(mutator, mutator.Random.Next(1, 6))}", path);
    }

    private Task<string> OtlpProtobufAsync(Mutator mutator)
    {
        var (path, seed) = mutator.Pick<(string, Func<byte[]>)>([("/v1/logs", FuzzCorpus.Logs), ("/v1/traces", FuzzCorpus.Traces), ("/v1/metrics", FuzzCorpus.Metrics)]);
        var body = mutator.Bytes(seed());
        var content = Compressed(mutator, body, "application/x-protobuf");
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(_icegate.OtlpHttpUrl, path)) { Content = content }, Convert.ToBase64String(body));
    }

    private Task<string> OtlpJsonAsync(Mutator mutator)
    {
        var json = mutator.Text(FuzzCorpus.LogsJson(), [FuzzCorpus.LogsJson(), FuzzCorpus.LokiPushJson()]);
        var path = mutator.Pick(["/v1/logs", "/v1/traces", "/v1/metrics"]);
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(_icegate.OtlpHttpUrl, path)) { Content = Compressed(mutator, Encoding.UTF8.GetBytes(json), "application/json") }, json);
    }

    private async Task<string> GrpcAsync(Mutator mutator)
    {
        var (service, seed) = mutator.Pick<(string, Func<byte[]>)>(
        [
            ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", FuzzCorpus.Logs),
            ("/opentelemetry.proto.collector.trace.v1.TraceService/Export", FuzzCorpus.Traces),
            ("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", FuzzCorpus.Metrics),
            ("/opentelemetry.proto.collector.logs.v1.LogsService/Nope", FuzzCorpus.Logs),
        ]);
        return await GrpcCallAsync(mutator, _icegate.OtlpGrpcUrl, service, seed());
    }

    private Task<string> FlightSqlAsync(Mutator mutator)
    {
        var (method, seed) = mutator.Pick(FuzzCorpus.FlightSql);
        return GrpcCallAsync(mutator, _icegate.FlightSqlUrl, $"/arrow.flight.protocol.FlightService/{method}", seed());
    }

    /// <summary>One gRPC call with a seed message, often mutated, sometimes compressed, sometimes in a broken frame.</summary>
    private async Task<string> GrpcCallAsync(Mutator mutator, Uri listener, string service, byte[] seed)
    {
        var message = mutator.Random.Next(3) == 0 ? seed : mutator.Bytes(seed);
        var compressed = mutator.Random.Next(4) == 0;
        var frame = Proto.Frame(compressed ? Gzip(message) : message, compressed);
        switch (mutator.Random.Next(4))
        {
            case 0:
                frame = mutator.Bytes(frame);
                break;
            case 1:
                // A length prefix that lies.
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)mutator.Random.Next());
                break;
            case 2:
                frame = [.. frame, .. frame];
                break;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(listener, service))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame) { Headers = { ContentType = new("application/grpc") } },
        };
        if (compressed || mutator.Random.Next(8) == 0)
        {
            request.Headers.Add("grpc-encoding", mutator.Pick(["gzip", "deflate", "snappy", ""]));
        }

        try
        {
            using var response = await _grpc.SendAsync(request, TestContext.Current.CancellationToken);
            await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
            var status = response.Headers.TryGetValues("grpc-status", out var values) || response.TrailingHeaders.TryGetValues("grpc-status", out values) ? values.Single() : null;
            return response.StatusCode != HttpStatusCode.OK && (int)response.StatusCode >= 500 ? $"HTTP {(int)response.StatusCode} for {Convert.ToBase64String(frame)}"
                : status is null && response.StatusCode == HttpStatusCode.OK ? $"no grpc-status for {Convert.ToBase64String(frame)}"
                // Grpc.AspNetCore answers framing violations INTERNAL (13), as every gRPC server does; UNKNOWN (2) would be a handler's exception.
                : status is "2" or "14" or "15" ? $"grpc-status {status} for {service} {Convert.ToBase64String(frame)}"
                : "";
        }
        catch (HttpRequestException e)
        {
            return $"connection failed ({e.Message}) for {Convert.ToBase64String(frame)}";
        }
    }

    private Task<string> LokiPushAsync(Mutator mutator)
    {
        HttpContent content;
        string description;
        switch (mutator.Random.Next(4))
        {
            case 0:
                {
                    var proto = mutator.Bytes(FuzzCorpus.LokiPushProtobuf());
                    content = new ByteArrayContent(IronSnappy.Snappy.Encode(proto)) { Headers = { ContentType = new("application/x-protobuf") } };
                    description = Convert.ToBase64String(proto);
                    break;
                }

            case 1:
                {
                    var snappy = mutator.Bytes(IronSnappy.Snappy.Encode(FuzzCorpus.LokiPushProtobuf()));
                    content = new ByteArrayContent(snappy) { Headers = { ContentType = new("application/x-protobuf") } };
                    description = Convert.ToBase64String(snappy);
                    break;
                }

            default:
                {
                    var json = mutator.Text(FuzzCorpus.LokiPushJson(), [FuzzCorpus.LokiPushJson(), FuzzCorpus.LogsJson()]);
                    content = Compressed(mutator, Encoding.UTF8.GetBytes(json), "application/json");
                    description = json;
                    break;
                }
        }

        return SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(_icegate.QueryUrl, "/loki/api/v1/push")) { Content = content }, description);
    }

    private Task<string> RestCatalogAsync(Mutator mutator)
    {
        var path = mutator.Text(mutator.Pick(FuzzCorpus.RestCatalogPaths), FuzzCorpus.RestCatalogPaths);
        var escaped = string.Join('/', path.Split('/').Select(segment => Uri.EscapeDataString(segment)));
        var method = mutator.Pick([HttpMethod.Get, HttpMethod.Head, HttpMethod.Post, HttpMethod.Delete, HttpMethod.Put]);
        // One leading slash: two would make the rest a host name.
        return SendAsync(new HttpRequestMessage(method, new Uri(_icegate.QueryUrl, "/" + escaped.TrimStart('/'))), path);
    }

    private static string RandomParameters(Mutator mutator, int count) =>
        string.Concat(Enumerable.Range(0, count).Select(_ => $"&{Uri.EscapeDataString(mutator.Pick(FuzzCorpus.ParameterNames))}={Uri.EscapeDataString(mutator.Pick(FuzzCorpus.ParameterValues))}"));

    /// <summary>The body as it is, gzipped, gzipped and then damaged, or labelled with an encoding nobody supports.</summary>
    private static ByteArrayContent Compressed(Mutator mutator, byte[] body, string contentType)
    {
        var (bytes, encoding) = mutator.Random.Next(6) switch
        {
            0 => (Gzip(body), "gzip"),
            1 => (mutator.Bytes(Gzip(body)), "gzip"),
            2 => (body, "br"),
            _ => (body, null),
        };
        var content = new ByteArrayContent(bytes) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } };
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        return content;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    private Task<string> GetAsync(Uri baseUrl, string pathAndQuery, string input) => SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, pathAndQuery)), input);

    /// <summary>Sends the request; returns what is wrong with the answer (a 5xx, a dropped connection), or "".</summary>
    private async Task<string> SendAsync(HttpRequestMessage request, string input)
    {
        using (request)
        {
            try
            {
                using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
                var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                return (int)response.StatusCode < 500 ? "" : $"{request.Method} {request.RequestUri?.PathAndQuery[..Math.Min(300, request.RequestUri.PathAndQuery.Length)]}: HTTP {(int)response.StatusCode} {body[..Math.Min(200, body.Length)]} for input {input[..Math.Min(500, input.Length)]}";
            }
            catch (HttpRequestException e)
            {
                return $"{request.Method} {request.RequestUri?.AbsolutePath}: connection failed ({e.Message}) for input {input[..Math.Min(500, input.Length)]}";
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
                return $"{request.Method} {request.RequestUri?.AbsolutePath}: no answer within 30 s for input {input[..Math.Min(500, input.Length)]}";
            }
        }
    }
}
