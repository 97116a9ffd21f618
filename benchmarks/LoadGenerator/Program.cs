using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using IceGate.Catalog;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;

// End-to-end ingest benchmark. Starts the real icegate binary (Release) on the local store in a
// scratch directory, sends OTLP/HTTP protobuf log batches of realistic records from concurrent
// clients for a fixed time after a warm-up (JIT tiering and the first segments are not the steady
// state being measured), and reports accepted records/s and MB/s, acknowledgement latency, WAL
// PUTs per GB and the server's peak memory.
//
//   dotnet run -c Release --project benchmarks/LoadGenerator -- [seconds=30] [clients=16] [records-per-request=1000] [icegate flags…]
//
// By default every client sends its next request as soon as the last is answered (the most the
// server accepts). ICEGATE_LOAD_RATE=<records/s> paces the clients instead, to measure the latency
// at a given sustained rate; latencies then count from when each request was due, so a server that
// falls behind is charged for the wait (no coordinated omission).
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30;
var clients = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
var recordsPerRequest = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000;
var extraFlags = args.Skip(3).ToArray();
var rate = Environment.GetEnvironmentVariable("ICEGATE_LOAD_RATE") is { Length: > 0 } rateText ? double.Parse(rateText, CultureInfo.InvariantCulture) : (double?)null;

// Requests before this are not measured: the server's code is compiled at its final tier and its
// heap sized only after several seconds at full load (at 5 s, a paced server was still catching up).
var warmUp = TimeSpan.FromSeconds(Environment.GetEnvironmentVariable("ICEGATE_LOAD_WARMUP") is { Length: > 0 } warmUpText ? double.Parse(warmUpText, CultureInfo.InvariantCulture) : 15);

// By default every record has its own trace id, span id and two request ids (one in the body, one
// as an attribute): 56 bytes of random identifiers per record, the worst case for storage.
// ICEGATE_LOAD_RECORDS_PER_SPAN=<n> correlates them as instrumented services do: n consecutive
// records are logged within one span (same trace and span id) of one request, whose id the body
// and the attribute both carry.
var recordsPerSpan = Environment.GetEnvironmentVariable("ICEGATE_LOAD_RECORDS_PER_SPAN") is { Length: > 0 } spanText ? int.Parse(spanText, CultureInfo.InvariantCulture) : 1;

// ICEGATE_LOAD_PROTOCOL=grpc sends the same requests over OTLP/gRPC (unary Export over h2c) instead.
var overGrpc = Environment.GetEnvironmentVariable("ICEGATE_LOAD_PROTOCOL") == "grpc";

// ICEGATE_LOAD_BINARY points at another build (for example the previous commit's) to compare side by side.
var binary = Environment.GetEnvironmentVariable("ICEGATE_LOAD_BINARY") is { Length: > 0 } other
    ? Path.GetFullPath(other)
    : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Server/bin/Release/net10.0/icegate.dll"));
if (!File.Exists(binary))
{
    Console.Error.WriteLine($"Build the server first: dotnet build -c Release src/Server ({binary} is missing).");
    return 2;
}

var scratch = Directory.CreateTempSubdirectory("icegate-load-").FullName;
var (queryPort, httpPort, grpcPort) = (FreePort(), FreePort(), FreePort());
var start = new ProcessStartInfo("dotnet") { WorkingDirectory = scratch, RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var argument in new[] { binary, "serve", $"--QueryUrl=http://127.0.0.1:{queryPort}", $"--OtlpHttpUrl=http://127.0.0.1:{httpPort}", $"--OtlpGrpcUrl=http://127.0.0.1:{grpcPort}", "--FlightSqlUrl=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:IceGate.Wal=Debug" }.Concat(extraFlags))
{
    start.ArgumentList.Add(argument);
}

using var server = Process.Start(start)!;
var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
server.OutputDataReceived += (_, e) =>
{
    if (e.Data is { } line && Environment.GetEnvironmentVariable("ICEGATE_LOAD_VERBOSE") == "1")
    {
        log.Enqueue(line);
    }
};
server.ErrorDataReceived += (_, _) => { };
server.BeginOutputReadLine();
server.BeginErrorReadLine();
try
{
    using var http = new HttpClient();
    await WaitHealthyAsync(http, queryPort);

    // Distinct payloads, built before the clock starts so the generator's own work stays small.
    var payloads = Enumerable.Range(0, 32).Select(i => Payload(i, recordsPerRequest, recordsPerSpan)).ToArray();
    var buffers = Enumerable.Range(0, clients).Select(_ => new byte[payloads.Max(p => p.Bytes.Length)]).ToArray();
    var frames = Enumerable.Range(0, clients).Select(_ => new byte[payloads.Max(p => p.Bytes.Length) + 5]).ToArray();
    var latencies = new List<double>[clients];
    long accepted = 0, acceptedBytes = 0, warmUpBytes = 0, warmUpRecords = 0, refused = 0, failed = 0;
    var lagSamples = new List<double>();
    long peakMemory = 0;
    var endpoint = overGrpc ? new Uri($"http://127.0.0.1:{grpcPort}/opentelemetry.proto.collector.logs.v1.LogsService/Export") : new Uri($"http://127.0.0.1:{httpPort}/v1/logs");
    var clock = Stopwatch.StartNew();
    using var done = new CancellationTokenSource(warmUp + TimeSpan.FromSeconds(seconds));
    var sampler = Task.Run(async () =>
    {
        while (!done.IsCancellationRequested)
        {
            server.Refresh();
            peakMemory = Math.Max(peakMemory, server.WorkingSet64);
            if (clock.ElapsedMilliseconds / 100 % 10 == 0 && clock.Elapsed > warmUp)
            {
                lagSamples.Add(PrometheusSamples.Sum(await http.GetStringAsync(new Uri($"http://127.0.0.1:{queryPort}/metrics")), "icegate_shift_lag_seconds", ("table", "logs")));
            }

            await Task.Delay(100);
        }
    });

    await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
    {
        latencies[client] = [];
        // Paced clients send as fast as answered during the warm-up (which gets the server's code
        // compiled at its final tier soonest: paced from a cold start it falls behind for its first
        // seconds and takes many more to catch up), then on a schedule, staggered over one interval
        // so that requests arrive evenly.
        var interval = rate is { } perSecond ? (long)(Stopwatch.Frequency * clients * recordsPerRequest / perSecond) : 0;
        long? due = null;
        for (var i = client; !done.IsCancellationRequested; i += clients)
        {
            var payload = payloads[i % payloads.Length];
            var length = payload.Render(buffers[client], Random.Shared);
            if (interval > 0 && clock.Elapsed >= warmUp)
            {
                due ??= Stopwatch.GetTimestamp() + (interval * client / clients);
                if (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due.Value) is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait);
                }
            }

            var sent = due ?? Stopwatch.GetTimestamp();
            due += interval;
            var outcome = await SendAsync(http, endpoint, overGrpc, frames[client], buffers[client], length);
            var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if (clock.Elapsed < warmUp)
            {
                Interlocked.Add(ref warmUpBytes, outcome == Outcome.Accepted ? payload.Bytes.Length : 0);
                Interlocked.Add(ref warmUpRecords, outcome == Outcome.Accepted ? recordsPerRequest : 0);
                continue;
            }

            if (outcome == Outcome.Accepted)
            {
                latencies[client].Add(elapsed);
                Interlocked.Add(ref accepted, recordsPerRequest);
                Interlocked.Add(ref acceptedBytes, payload.Bytes.Length);
            }
            else if (outcome == Outcome.Refused)
            {
                Interlocked.Increment(ref refused);
                await Task.Delay(100);
            }
            else
            {
                Interlocked.Increment(ref failed);
            }
        }
    })));
    var wall = (clock.Elapsed - warmUp).TotalSeconds;
    foreach (var line in log)
    {
        Console.WriteLine(line);
    }

    await sampler;

    var all = latencies.SelectMany(l => l).Order().ToList();
    // Segment counts and sizes cover the warm-up as well; both are per byte, so the ratio holds.
    var segments = Directory.GetFiles(Path.Combine(scratch, "data", "objects", "wal", "logs"), "*.parquet");
    var walBytes = segments.Sum(f => new FileInfo(f).Length);
    var totalBytes = acceptedBytes + warmUpBytes;
    double Percentile(double p) => all.Count == 0 ? double.NaN : all[(int)Math.Min(all.Count - 1, Math.Ceiling(p * all.Count) - 1)];
    Console.WriteLine($"| clients | records/request | offered records/s | accepted records/s | accepted MB/s (OTLP protobuf) | ack p50 | ack p99 (max) | WAL PUTs per GB | WAL bytes per OTLP byte | server peak memory | refused (503/429) | failed |");
    Console.WriteLine($"|---|---|---|---|---|---|---|---|---|---|---|---|");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {clients} | {recordsPerRequest} | {(rate is { } offered ? offered.ToString("N0", CultureInfo.InvariantCulture) : "as fast as answered")} | {accepted / wall:N0} | {acceptedBytes / wall / 1e6:F1} | {Percentile(0.50):F0} ms | {Percentile(0.99):F0} ms ({all.LastOrDefault():F0} ms) | {segments.Length / (totalBytes / 1e9):N0} | {(double)walBytes / totalBytes:F3} | {peakMemory >> 20} MiB | {refused} | {failed} |"));

    // The shift: how long until the logs table holds every acknowledged record, and what it stores
    // (unless the server runs no shift workers, as with --Shift:Enabled=false).
    if (!(await http.GetStringAsync(new Uri($"http://127.0.0.1:{queryPort}/metrics"))).Contains("icegate_shift_lag_seconds{", StringComparison.Ordinal))
    {
        return 0;
    }

    var drain = Stopwatch.StartNew();
    var store = new LocalObjectStore(Path.Combine(scratch, "data"));
    var catalog = new IcebergCatalog(store);
    var totalRecords = accepted + warmUpRecords;
    TableMetadata table;
    while (true)
    {
        table = (await catalog.LoadTableAsync("icegate", "logs")).Metadata;
        if (long.Parse(table.CurrentSnapshot?.Summary.GetValueOrDefault("total-records") ?? "0", CultureInfo.InvariantCulture) >= totalRecords || drain.Elapsed > TimeSpan.FromMinutes(3))
        {
            break;
        }

        await Task.Delay(500);
    }

    var files = (await new ScanPlanner(catalog).PlanAsync(table, new ScanRequest())).Files;
    var sizes = files.Select(f => f.FileSizeInBytes).Order().ToList();
    var requests = PrometheusSamples.Sum(await http.GetStringAsync(new Uri($"http://127.0.0.1:{queryPort}/metrics")), "icegate_object_store_requests_total");
    Console.WriteLine();
    Console.WriteLine("| records in the table | in the table this long after the last acknowledgement | shift lag during the run (median / max) | data files (median size) | table bytes per OTLP byte | object store requests per GB of OTLP |");
    Console.WriteLine("|---|---|---|---|---|---|");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {files.Sum(f => f.RecordCount):N0} of {totalRecords:N0} | {drain.Elapsed.TotalSeconds:F0} s | {Median(lagSamples):F0} s / {lagSamples.DefaultIfEmpty().Max():F0} s | {files.Count} ({(sizes.Count == 0 ? 0 : sizes[sizes.Count / 2]) / 1e6:F1} MB) | {(double)sizes.Sum() / totalBytes:F3} | {requests / (totalBytes / 1e9):N0} |"));
    return 0;
}
finally
{
    server.Kill(entireProcessTree: true);
    await server.WaitForExitAsync();
    if (Environment.GetEnvironmentVariable("ICEGATE_LOAD_KEEP") != "1")
    {
        Directory.Delete(scratch, recursive: true);
    }
}

// The sum of a Prometheus metric's samples whose name (with labels) starts with the given text.

// One request over OTLP/HTTP protobuf, or the same message framed for a unary OTLP/gRPC call (HTTP/2, trailers).
static async Task<Outcome> SendAsync(HttpClient http, Uri endpoint, bool overGrpc, byte[] frame, byte[] message, int length)
{
    if (!overGrpc)
    {
        var content = new ByteArrayContent(message, 0, length) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-protobuf") } };
        using var response = await http.PostAsync(endpoint, content);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => Outcome.Accepted,
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests => Outcome.Refused,
            _ => Outcome.Failed,
        };
    }

    frame[0] = 0;
    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)length);
    message.AsSpan(0, length).CopyTo(frame.AsSpan(5));
    using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
    {
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = new ByteArrayContent(frame, 0, length + 5) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } },
    };
    request.Headers.TE.ParseAdd("trailers");
    using var reply = await http.SendAsync(request);
    await reply.Content.ReadAsByteArrayAsync();
    var status = reply.TrailingHeaders.TryGetValues("grpc-status", out var values) || reply.Headers.TryGetValues("grpc-status", out values) ? values.First() : null;
    return status switch
    {
        "0" => Outcome.Accepted,
        "14" or "8" => Outcome.Refused,
        _ => Outcome.Failed,
    };
}

static double Median(List<double> values) => values.Count == 0 ? 0 : values.Order().ElementAt(values.Count / 2);

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitHealthyAsync(HttpClient http, int port)
{
    for (var i = 0; i < 300; i++)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(100);
    }

    throw new InvalidOperationException("icegate did not become healthy.");
}

// A request of realistic records: resource with service, host and k8s attributes; ~10 record
// attributes of mixed types; 100–300 byte bodies; trace and span ids; a spread of severities.
// A request template: realistic records whose ids, numbers and timestamps are rewritten in place for every
// request (see LogTemplate.Render), so that no two records sent are alike, as in real traffic,
// while the generator spends almost nothing per request.
static LogTemplate Payload(int seed, int records, int recordsPerSpan)
{
    var markers = new List<(byte[] Bytes, FieldKind Kind, bool Shared)>();
    var random = new Random(seed);
    string[] services = ["checkout", "cart", "payments", "search", "frontend", "recommendation", "shipping", "email"];
    string[] routes = ["/api/orders", "/api/cart/items", "/api/pay", "/search", "/", "/api/recommend", "/api/ship", "/api/mail"];
    var resource = new Proto()
        .Message(1, Proto.KeyValue("service.name", new Proto().String(1, services[seed % services.Length])))
        .Message(1, Proto.KeyValue("host.name", new Proto().String(1, $"node-{seed % 5}")))
        .Message(1, Proto.KeyValue("k8s.pod.name", new Proto().String(1, $"{services[seed % services.Length]}-7d9f8-{seed:x4}")))
        .Message(1, Proto.KeyValue("deployment.environment.name", new Proto().String(1, "production")));
    var scope = new Proto().Message(1, new Proto().String(1, "io.opentelemetry.dotnet").String(2, "1.20.1"));
    var now = (ulong)(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
    var (requestInBody, requestId, traceId, spanId) = (string.Empty, string.Empty, new byte[16], new byte[8]);
    for (var i = 0; i < records; i++)
    {
        var status = new[] { 200, 200, 200, 201, 204, 400, 404, 500 }[random.Next(8)];
        var inSpan = i % recordsPerSpan != 0;
        if (!inSpan)
        {
            requestInBody = Guid.NewGuid().ToString("N");
            requestId = recordsPerSpan > 1 ? requestInBody : Guid.NewGuid().ToString("N");
            (traceId, spanId) = (new byte[16], new byte[8]);
            random.NextBytes(traceId);
            random.NextBytes(spanId);
        }

        var numbers = $"user {random.Next(100_000)} in {random.Next(2000)} ms";
        var body = $"{routes[random.Next(routes.Length)]} handled for {numbers} with status {status}; request {requestInBody}";
        body += new string('.', random.Next(0, 160));
        var user = $"user-{random.Next(100_000)}";
        var duration = BitConverter.DoubleToUInt64Bits(random.NextDouble() * 2000);
        var record = new Proto()
            .Fixed64(1, now + (ulong)i * 1000)
            .Varint(2, status >= 500 ? 17UL : status >= 400 ? 13UL : 9UL)
            .String(3, status >= 500 ? "ERROR" : status >= 400 ? "WARN" : "INFO")
            .Message(5, new Proto().String(1, body))
            .Message(6, Proto.KeyValue("http.request.method", new Proto().String(1, random.Next(4) == 0 ? "POST" : "GET")))
            .Message(6, Proto.KeyValue("http.route", new Proto().String(1, routes[random.Next(routes.Length)])))
            .Message(6, Proto.KeyValue("http.response.status_code", new Proto().Varint(3, (ulong)status)))
            .Message(6, Proto.KeyValue("user.id", new Proto().String(1, user)))
            .Message(6, Proto.KeyValue("request.id", new Proto().String(1, requestId)))
            .Message(6, Proto.KeyValue("duration_ms", new Proto().Fixed64(4, duration)))
            .Message(6, Proto.KeyValue("cloud.region", new Proto().String(1, "eu-west-1")))
            .Message(6, Proto.KeyValue("retry", new Proto().Varint(2, (ulong)random.Next(2))))
            .Message(6, Proto.KeyValue("thread.id", new Proto().Varint(3, (ulong)random.Next(64))))
            .Message(6, Proto.KeyValue("code.function", new Proto().String(1, "HandleAsync")))
            .Bytes(9, traceId)
            .Bytes(10, spanId);
        scope.Message(2, record);
        markers.Add((BitConverter.GetBytes(now + (ulong)i * 1000), FieldKind.Time, false));
        markers.Add((System.Text.Encoding.ASCII.GetBytes(numbers), FieldKind.Digits, false));
        markers.Add((System.Text.Encoding.ASCII.GetBytes(requestInBody), FieldKind.Hex, inSpan));
        markers.Add((System.Text.Encoding.ASCII.GetBytes(user), FieldKind.Digits, false));
        markers.Add((System.Text.Encoding.ASCII.GetBytes(requestId), FieldKind.Hex, recordsPerSpan > 1));
        markers.Add((BitConverter.GetBytes(duration), FieldKind.Mantissa, false));
        markers.Add((traceId, FieldKind.Random, inSpan));
        markers.Add((spanId, FieldKind.Random, inSpan));
    }

    byte[] bytes = new Proto().Message(1, new Proto().Message(1, resource).Message(2, scope));
    // A shared field repeats the last field before it of its kind and length.
    var fields = new List<(int Offset, int Length, FieldKind Kind, int CopyOf)>();
    var last = new Dictionary<(FieldKind, int), int>();
    var from = 0;
    foreach (var (marker, kind, shared) in markers)
    {
        var offset = from + bytes.AsSpan(from).IndexOf(marker);
        fields.Add((offset, marker.Length, kind, shared ? last[(kind, marker.Length)] : -1));
        last[(kind, marker.Length)] = offset;
        from = offset + marker.Length;
    }

    return new LogTemplate(bytes, fields, records);
}

internal enum FieldKind
{
    Time,
    Hex,
    Random,
    // Decimal digits rewritten in place (user ids, durations in the body).
    Digits,
    // A double's low 32 mantissa bits: a new value of about the same magnitude.
    Mantissa,
}

internal sealed record LogTemplate(byte[] Bytes, List<(int Offset, int Length, FieldKind Kind, int CopyOf)> Fields, int Records)
{
    /// <summary>
    /// Writes the template into <paramref name="buffer"/> with fresh ids and numbers, and timestamps spread over
    /// the last second as a batching exporter sends them (about 1 ms apart, at random microseconds).
    /// A field with <c>CopyOf</c> repeats the value just written at that offset.
    /// </summary>
    public int Render(byte[] buffer, Random random)
    {
        Bytes.CopyTo(buffer, 0);
        var now = (ulong)(DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
        Span<byte> hex = stackalloc byte[16];
        var record = 0;
        foreach (var (offset, length, kind, copyOf) in Fields)
        {
            var field = buffer.AsSpan(offset, length);
            if (copyOf >= 0)
            {
                buffer.AsSpan(copyOf, length).CopyTo(field);
                continue;
            }

            switch (kind)
            {
                case FieldKind.Time:
                    BitConverter.TryWriteBytes(field, now - ((ulong)(Records - record++) * 1_000_000) + (ulong)random.Next(1_000_000));
                    break;
                case FieldKind.Random:
                    random.NextBytes(field);
                    break;
                case FieldKind.Digits:
                    foreach (ref var character in field)
                    {
                        character = char.IsAsciiDigit((char)character) ? (byte)('0' + random.Next(10)) : character;
                    }

                    break;
                case FieldKind.Mantissa:
                    random.NextBytes(field[..4]);
                    break;
                default:
                    random.NextBytes(hex);
                    Convert.TryToHexStringLower(hex, field, out _);
                    break;
            }
        }

        return Bytes.Length;
    }
}

/// <summary>How the server answered one request.</summary>
internal enum Outcome
{
    Accepted,
    Refused,
    Failed,
}
