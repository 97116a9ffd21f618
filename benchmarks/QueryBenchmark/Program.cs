using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Index;
using IceGate.Lakehouse.Storage;
using IceGate.QueryApi.FlightSql.Protocol;

// Query benchmark. Generates (once, then reuses) a logs table of realistic rows in Iceberg on the
// local store, starts the real icegate binary (Release) on it, and times five queries through
// /api/v1/sql against DuckDB alone over the same Parquet files (the physical baseline), run side by
// side and alternating, warm (medians) and cold (a fresh icegate process: empty file cache, no
// cached metadata; a fresh DuckDB instance for the baseline). The OS page cache is warm for both.
//
//   dotnet run -c Release --project benchmarks/QueryBenchmark -- [rows=50000000] [runs=7] [data-directory]
//
// With "logql" first, it times LogQL through the Loki API instead (warm medians), against the
// hand-written SQL that answers the same question on DuckDB alone:
//
//   dotnet run -c Release --project benchmarks/QueryBenchmark -- logql [rows=10000000] [runs=7] [data-directory]
//
// With "results" first, it times fetching every row (SELECT * FROM logs) as an Arrow IPC stream, as
// Parquet and over Arrow Flight SQL (the Arrow project's FlightClient), alternating, each from a fresh
// server (its file cache empty), with the server's peak memory above its idle level during the
// request (sampled every 10 ms):
//
//   dotnet run -c Release --project benchmarks/QueryBenchmark -- results [rows=1000000] [runs=5] [data-directory]
var mode = args.FirstOrDefault() is "logql" or "results" ? args[0] : "sql";
args = mode == "sql" ? args : args[1..];
var logql = mode == "logql";
var rows = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : logql ? 10_000_000 : mode == "results" ? 1_000_000 : 50_000_000;
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
var dataDirectory = Path.GetFullPath(args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), $"icegate-query-bench-{rows}"));
var binary = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../src/Server/bin/Release/net10.0/icegate.dll"));
if (!File.Exists(binary))
{
    Console.Error.WriteLine($"Build the server first: dotnet build -c Release src/Server ({binary} is missing).");
    return 2;
}

const string Tenant = "bench";
const int Days = 7;
const int SlicesPerDay = 8;
var firstDay = new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);
var store = new LocalObjectStore(dataDirectory);
var catalog = new IcebergCatalog(store);
if (await store.HeadAsync(IcebergCatalog.RootKey) is null)
{
    await GenerateAsync();
}

var table = (await catalog.LoadTableAsync("icegate", "logs")).Metadata;
var files = (await new ScanPlanner(catalog).PlanAsync(table, new ScanRequest())).Files;
var localFiles = files.Select(f => Path.Combine(dataDirectory, "objects", store.KeyOf(f.FilePath))).ToList();
var indexBytes = await IndexFilesAsync();
var tableBytes = files.Sum(f => f.FileSizeInBytes);
Console.WriteLine($"dataset: {files.Sum(f => f.RecordCount):N0} rows in {files.Count} files, {tableBytes / 1e9:F2} GB, skipping indexes {indexBytes / 1e6:F1} MB ({100.0 * indexBytes / tableBytes:F2}% of the data), {Environment.ProcessorCount} cores");

if (logql)
{
    return await LogQLBenchmarkAsync();
}

if (mode == "results")
{
    return await ResultFormatsBenchmarkAsync();
}

var hour = firstDay.AddDays(3).AddHours(10);
var traceId = Baseline(NewBaseline(), $"SELECT trace_id FROM logs WHERE \"timestamp\" >= '{Plain(firstDay.AddDays(5))}' LIMIT 1").First()[0]!.ToString();
(string Name, string Sql)[] queries =
[
    ("count by service, one hour", $"SELECT service_name, count(*) AS n FROM logs WHERE \"timestamp\" >= '{Plain(hour)}' AND \"timestamp\" < '{Plain(hour.AddHours(1))}' GROUP BY service_name ORDER BY n DESC, service_name"),
    ("count by service, everything", "SELECT service_name, count(*) AS n FROM logs GROUP BY service_name ORDER BY n DESC, service_name"),
    ("top error messages", "SELECT body, count(*) AS n FROM logs WHERE severity_number >= 17 GROUP BY body ORDER BY n DESC, body LIMIT 10"),
    ("trace id lookup", $"SELECT \"timestamp\", service_name, severity_text, body FROM logs WHERE trace_id = '{traceId}' ORDER BY \"timestamp\""),
    ("trace id lookup, absent", "SELECT \"timestamp\", service_name, severity_text, body FROM logs WHERE trace_id = '7f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99' ORDER BY \"timestamp\""),
    ("user id lookup, absent", "SELECT \"timestamp\", service_name, body FROM logs WHERE log_attributes['user.id'] = 'user-none' LIMIT 100"),
    ("substring search, LIMIT 100", "SELECT \"timestamp\", service_name, body FROM logs WHERE body LIKE '%deadline exceeded%' LIMIT 100"),
];

var cold = new Dictionary<string, (double IceGate, double DuckDB)>();
var coldBytes = new Dictionary<string, long>();
foreach (var (name, sql) in queries)
{
    await using var fresh = await IceGateServer.StartAsync(binary, dataDirectory);
    JsonNode? answer = null;
    var iceGate = Time(() => answer = fresh.Get(Tenant, $"/api/v1/sql?limit=100000&q={Uri.EscapeDataString(sql)}"));
    var duck = Time(() => Baseline(NewBaseline(), sql));
    cold[name] = (iceGate, duck);
    coldBytes[name] = answer!["stats"]!["bytesFetched"]!.GetValue<long>();
}

await using var server = await IceGateServer.StartAsync(binary, dataDirectory);
var warm = queries.ToDictionary(q => q.Name, _ => (IceGate: new List<double>(), DuckDB: new List<double>()));
var baseline = NewBaseline();
foreach (var (name, sql) in queries)
{
    // Same answers, or the comparison means nothing (and one warm-up run each).
    var answer = server.Query(Tenant, sql);
    var expected = Baseline(baseline, sql);
    if (answer.Count != expected.Count || (expected.Count > 0 && answer[0]![0]!.ToString() != Text(expected[0][0])))
    {
        Console.Error.WriteLine($"{name}: icegate and DuckDB disagree: {answer.ToJsonString()[..Math.Min(200, answer.ToJsonString().Length)]}");
        return 1;
    }
}

for (var run = 0; run < runs; run++)
{
    foreach (var (name, sql) in queries)
    {
        warm[name].IceGate.Add(Time(() => server.Query(Tenant, sql)));
        warm[name].DuckDB.Add(Time(() => Baseline(baseline, sql)));
    }
}

Console.WriteLine();
Console.WriteLine("| query | icegate warm (median ms) | DuckDB alone warm (median ms) | ratio | icegate cold (ms) | DuckDB alone cold (ms) | cold bytes fetched (% of table) |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var (name, _) in queries)
{
    var (i, d) = (Median(warm[name].IceGate), Median(warm[name].DuckDB));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {i:F0} | {d:F0} | {i / d:F2}× | {cold[name].IceGate:F0} | {cold[name].DuckDB:F0} | {100.0 * coldBytes[name] / tableBytes:F1}% |"));
}

return 0;

// LogQL over the whole dataset, against the SQL a person would write for the same answer.
async Task<int> LogQLBenchmarkAsync()
{
    var start = firstDay.AddMinutes(1);
    var end = firstDay.AddDays(Days);
    var window = $"\"timestamp\" > '{Plain(firstDay)}' AND \"timestamp\" <= '{Plain(end)}'";
    var range = $"start={Nanos(start)}&end={Nanos(end)}";
    (string Name, string LogQL, string Sql, Func<JsonNode, long> Answer, Func<List<object?[]>, long> Expected)[] cases =
    [
        ("sum by (service_name) (count_over_time(…[1m])), 7 days at 1m steps",
            $"/loki/api/v1/query_range?{range}&step=60s&query={Uri.EscapeDataString("sum by (service_name) (count_over_time({deployment_environment=\"production\"}[1m]))")}",
            $"SELECT service_name, time_bucket(INTERVAL 1 MINUTE, \"timestamp\" - INTERVAL 1 MICROSECOND) AS minute, count(*) AS n FROM logs WHERE resource_attributes['deployment.environment'] = 'production' AND {window} GROUP BY ALL",
            json => json["data"]!["result"]!.AsArray().Sum(s => s!["values"]!.AsArray().Sum(v => long.Parse(v![1]!.GetValue<string>(), CultureInfo.InvariantCulture))),
            rows => rows.Sum(r => Convert.ToInt64(r[2], CultureInfo.InvariantCulture))),
        ("line filter |= \"deadline exceeded\", limit 100",
            $"/loki/api/v1/query_range?{range}&limit=100&query={Uri.EscapeDataString("{deployment_environment=\"production\"} |= \"deadline exceeded\"")}",
            $"SELECT \"timestamp\", body, service_name, resource_attributes FROM logs WHERE resource_attributes['deployment.environment'] = 'production' AND contains(body, 'deadline exceeded') AND {window} ORDER BY \"timestamp\" DESC LIMIT 100",
            json => json["data"]!["result"]!.AsArray().Sum(s => s!["values"]!.AsArray().Count),
            rows => rows.Count),
    ];

    await using var server = await IceGateServer.StartAsync(binary, dataDirectory);
    var baseline = NewBaseline();
    var warm = cases.ToDictionary(c => c.Name, _ => (IceGate: new List<double>(), DuckDB: new List<double>()));
    foreach (var (name, path, sql, answer, expected) in cases)
    {
        // Same answers (counted the same way), or the comparison means nothing; this is also the warm-up.
        var got = answer(server.Get(Tenant, path));
        var want = expected(Baseline(baseline, sql));
        if (got != want)
        {
            Console.Error.WriteLine($"{name}: icegate says {got}, DuckDB {want}");
            return 1;
        }

        Console.WriteLine($"{name}: {got:N0} (same from both)");
    }

    for (var run = 0; run < runs; run++)
    {
        foreach (var (name, path, sql, _, _) in cases)
        {
            warm[name].IceGate.Add(Time(() => server.Fetch(Tenant, path)));
            warm[name].DuckDB.Add(Time(() => Baseline(baseline, sql)));
        }
    }

    Console.WriteLine();
    Console.WriteLine("| LogQL query | icegate warm (median ms) | hand-written SQL on DuckDB alone (median ms) | ratio |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var (name, _, _, _, _) in cases)
    {
        var (i, d) = (Median(warm[name].IceGate), Median(warm[name].DuckDB));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {i:F0} | {d:F0} | {i / d:F2}× |"));
    }

    return 0;
}

// Every row as Arrow and as Parquet, alternating, each from a fresh server: wall time until the last byte, bytes, and the server's peak working set above its level before the request.
async Task<int> ResultFormatsBenchmarkAsync()
{
    var path = $"/api/v1/sql?limit={rows}&q={Uri.EscapeDataString("SELECT * FROM logs")}";
    var results = new Dictionary<string, List<(double Ms, long Bytes, long PeakMiB)>> { ["arrow"] = [], ["parquet"] = [], ["flight sql"] = [] };
    for (var run = -1; run < runs; run++)
    {
        foreach (var format in results.Keys)
        {
            await using var server = await IceGateServer.StartAsync(binary, dataDirectory);
            var before = server.WorkingSet;
            var peak = before;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, server.WorkingSet);
                    await Task.Delay(10);
                }
            });
            var clock = Stopwatch.StartNew();
            var bytes = format == "flight sql" ? await server.FlightDownloadAsync(Tenant, "SELECT * FROM logs") : await server.DownloadAsync(Tenant, $"{path}&format={format}");
            var elapsed = clock.Elapsed.TotalMilliseconds;
            await sampling.CancelAsync();
            await sampler;
            if (run >= 0)
            {
                results[format].Add((elapsed, bytes, (peak - before) >> 20));
            }
        }
    }

    Console.WriteLine();
    Console.WriteLine("| format | rows | median ms | bytes | server peak above idle (median MiB) |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (var (format, measured) in results)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {format} | {rows:N0} | {Median([.. measured.Select(m => m.Ms)]):F0} | {measured[0].Bytes:N0} | {Median([.. measured.Select(m => (double)m.PeakMiB)]):F0} |"));
    }

    return 0;
}

// Data files written before skipping indexes existed get theirs, as shift would have written them;
// a few are also rewritten as compaction does, timed with and without building the index.
async Task<long> IndexFilesAsync()
{
    using var duck = new DuckDBConnection($"Data Source=:memory:;memory_limit=4GB");
    duck.Open();
    var options = new IndexOptions();
    long bytes = 0;
    foreach (var (file, local) in files.Zip(localFiles))
    {
        var key = IndexKeys.ForDataFile(store.KeyOf(file.FilePath))!;
        if (await store.HeadAsync(key) is null)
        {
            await store.PutAsync(key, FileIndexBuilder.Build(duck, TableSchemas.Logs, local, options.AttributeKeys).Serialize(), PutCondition.IfNoneMatch);
        }

        bytes += (await store.HeadAsync(key))!.Length;
    }

    var (write, index) = (new List<double>(), new List<double>());
    var scratch = Directory.CreateTempSubdirectory("icegate-index-bench-").FullName;
    foreach (var local in localFiles.Take(3))
    {
        var output = Path.Combine(scratch, "rewrite.parquet");
        write.Add(Time(() => ParquetDataFileWriter.Write(duck, table, $"read_parquet('{local}', hive_partitioning = false)", output, "file:///bench/rewrite.parquet")));
        index.Add(Time(() => FileIndexBuilder.Build(duck, TableSchemas.Logs, output, options.AttributeKeys)));
        File.Delete(output);
    }

    Directory.Delete(scratch, recursive: true);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rewriting a data file as compaction does: median {Median(write):F0} ms; building its index: {Median(index):F0} ms more ({100 * Median(index) / Median(write):F0}%)"));
    return bytes;
}

static long Nanos(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) * 100;

DuckDBConnection NewBaseline()
{
    var connection = new DuckDBConnection("Data Source=:memory:");
    connection.Open();
    using var command = connection.CreateCommand();
    command.CommandText = $"SET parquet_metadata_cache = true; CREATE VIEW logs AS SELECT * FROM read_parquet([{string.Join(", ", localFiles.Select(f => $"'{f}'"))}], hive_partitioning = false)";
    command.ExecuteNonQuery();
    return connection;
}

static List<object?[]> Baseline(DuckDBConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    using var reader = command.ExecuteReader();
    var result = new List<object?[]>();
    while (reader.Read())
    {
        var values = new object?[reader.FieldCount];
        reader.GetValues(values!);
        result.Add(values);
    }

    return result;
}

static string? Text(object? value) => value is DateTime time ? time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : Convert.ToString(value, CultureInfo.InvariantCulture);

static double Time(Action action)
{
    var clock = Stopwatch.StartNew();
    action();
    return clock.Elapsed.TotalMilliseconds;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

static string Plain(DateTime time) => time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

async Task GenerateAsync()
{
    Console.WriteLine($"generating {rows:N0} rows in {dataDirectory} (once; later runs reuse it)…");
    var clock = Stopwatch.StartNew();
    await catalog.CreateNamespaceAsync("icegate");
    var created = await catalog.CreateTableAsync("icegate", TableSchemas.Logs);
    var scratch = Directory.CreateTempSubdirectory("icegate-query-bench-").FullName;
    var written = new List<DataFile>();
    using var duck = new DuckDBConnection($"Data Source=:memory:;memory_limit=4GB;temp_directory={Path.Combine(scratch, "spill")}");
    duck.Open();
    var perSlice = (rows + (Days * SlicesPerDay) - 1) / (Days * SlicesPerDay);
    for (var slice = 0; slice < Days * SlicesPerDay; slice++)
    {
        var start = firstDay.AddHours(slice * 24.0 / SlicesPerDay);
        var startMicros = (start.Ticks - DateTime.UnixEpoch.Ticks) / 10;
        Execute(duck, $"CREATE OR REPLACE TEMP TABLE slice AS {SliceSql(slice, perSlice, startMicros, (long)(24.0 / SlicesPerDay * 3600 * 1_000_000))}");
        var key = $"warehouse/icegate/logs/data/tenant_id={Tenant}/timestamp_day={start:yyyy-MM-dd}/bench-{slice:D3}.parquet";
        var local = Path.Combine(scratch, $"{slice}.parquet");
        var file = ParquetDataFileWriter.Write(duck, created.Metadata, "slice", local, $"{store.Location}/{key}")!;
        await store.PutAsync(key, await File.ReadAllBytesAsync(local), PutCondition.IfNoneMatch);
        File.Delete(local);
        written.Add(file);
        Console.WriteLine($"  slice {slice + 1}/{Days * SlicesPerDay}: {file.RecordCount:N0} rows, {file.FileSizeInBytes / 1e6:F0} MB ({clock.Elapsed.TotalSeconds:F0} s)");
    }

    await catalog.CommitAsync("icegate", "logs", new AppendFiles(written));
    Directory.Delete(scratch, recursive: true);
}

// Realistic cardinalities: 60 services (skewed), 300 hosts, 12 namespaces; 5% errors drawn from
// 250 recurring messages; other lines are access logs with paths, statuses, durations and ids.
static string SliceSql(int slice, long count, long startMicros, long spanMicros) => $$"""
    SELECT
      'bench' AS tenant_id,
      service AS service_name,
      ts AS "timestamp",
      ts + INTERVAL 3 MILLISECOND AS observed_timestamp,
      ts + INTERVAL 2 SECOND AS ingested_timestamp,
      md5(CAST(i AS VARCHAR) || '-{{slice}}') AS trace_id,
      substr(md5(CAST(i AS VARCHAR) || 's{{slice}}'), 1, 16) AS span_id,
      severity AS severity_number,
      CASE severity WHEN 17 THEN 'ERROR' WHEN 13 THEN 'WARN' WHEN 5 THEN 'DEBUG' ELSE 'INFO' END AS severity_text,
      CASE WHEN severity = 17 THEN
        'failed to ' || ['connect to', 'query', 'write to', 'read from', 'authenticate with'][1 + CAST(floor(r3 * 5) AS INT)]
          || ' ' || ['postgres-main', 'redis-cache', 'kafka-broker', 'payments-api', 'inventory-db', 'search-index', 'auth-service', 'billing-db', 's3-archive', 'ledger-api'][1 + CAST(floor(r4 * 10) AS INT)]
          || ': ' || ['connection refused', 'i/o timeout after 30s', 'context deadline exceeded', 'permission denied', 'too many connections'][1 + CAST(floor(r2 * 5) AS INT)]
          || '; giving up after 3 retries, the request will be answered with 503 Service Unavailable'
      ELSE
        ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'][1 + CAST(floor(r3 * 6) AS INT)] || ' /api/v1/'
          || ['orders', 'users', 'carts', 'products', 'payments', 'sessions', 'reviews', 'inventory'][1 + CAST(floor(r4 * 8) AS INT)] || '/' || CAST(CAST(r2 * 1000000 AS INT) AS VARCHAR)
          || ' completed status=' || (CASE WHEN severity = 13 THEN '429' ELSE '200' END) || ' duration_ms=' || CAST(CAST(r3 * r3 * 2000 AS INT) AS VARCHAR)
          || ' bytes=' || CAST(CAST(r4 * 50000 AS INT) AS VARCHAR) || ' user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" request_id=' || substr(md5(CAST(i AS VARCHAR) || 'r'), 1, 20)
      END AS body,
      MAP {'service.name': service, 'host.name': 'host-' || CAST(CAST(r5 * 300 AS INT) AS VARCHAR), 'k8s.namespace.name': 'ns-' || CAST(CAST(r5 * 12 AS INT) AS VARCHAR), 'deployment.environment': 'production', 'service.version': '1.' || CAST(CAST(r4 * 20 AS INT) AS VARCHAR) || '.0'} AS resource_attributes,
      'io.opentelemetry.logs' AS scope_name,
      '1.20.1' AS scope_version,
      CAST(MAP {} AS MAP(VARCHAR, VARCHAR)) AS scope_attributes,
      MAP {'http.method': 'GET', 'http.status_code': CASE WHEN severity = 17 THEN '503' ELSE '200' END, 'user.id': 'user-' || CAST(CAST(r2 * 100000 AS INT) AS VARCHAR), 'thread.name': 'worker-' || CAST(CAST(r3 * 32 AS INT) AS VARCHAR)} AS log_attributes,
      1 AS flags
    FROM (
      SELECT i, r2, r3, r4, r5,
        'svc-' || lpad(CAST(CAST(r1 * r1 * 60 AS INT) AS VARCHAR), 2, '0') AS service,
        make_timestamp({{startMicros}} + CAST(random() * {{spanMicros}} AS BIGINT)) AS ts,
        CASE WHEN r6 < 0.05 THEN 17 WHEN r6 < 0.15 THEN 13 WHEN r6 < 0.30 THEN 5 ELSE 9 END AS severity
      FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6 FROM range({{count}}) t(i))
    )
    """;

static void Execute(DuckDBConnection connection, string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}

/// <summary>A running icegate on the benchmark's data directory, with a cache of its own.</summary>
internal sealed class IceGateServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(10) };
    private readonly string _scratch;
    private readonly int _port;
    private readonly int _flightPort;

    private IceGateServer(Process process, string scratch, int port, int flightPort) => (_process, _scratch, _port, _flightPort) = (process, scratch, port, flightPort);

    public static async Task<IceGateServer> StartAsync(string binary, string dataDirectory)
    {
        var scratch = Directory.CreateTempSubdirectory("icegate-query-bench-run-").FullName;
        var (port, flightPort) = (FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = scratch, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])[binary, "serve", $"--DataDirectory={dataDirectory}", $"--QueryUrl=http://127.0.0.1:{port}", $"--OtlpHttpUrl=http://127.0.0.1:{FreePort()}", $"--OtlpGrpcUrl=http://127.0.0.1:{FreePort()}", $"--FlightSqlUrl=http://127.0.0.1:{flightPort}",
            "--Shift:Enabled=false", "--Maintenance:Enabled=false", $"--Query:CacheDirectory={Path.Combine(scratch, "cache")}", "--Query:Timeout=00:10:00", "--Query:MaxLimit=100000000", "--Logging:LogLevel:Default=Warning"])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new IceGateServer(process, scratch, port, flightPort);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await server._http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException) when (attempt < 300)
            {
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The server process's working set now.</summary>
    public long WorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>GETs a path of the query API, reading the whole body as a client would, and returns its length.</summary>
    public async Task<long> DownloadAsync(string tenant, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{_port}{pathAndQuery}"));
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[1 << 16];
        long total = 0;
        for (int read; (read = await body.ReadAsync(buffer)) > 0;)
        {
            total += read;
        }

        return total;
    }

    /// <summary>Runs a statement over Flight SQL, reading every batch, and returns the bytes of the Arrow buffers received.</summary>
    public async Task<long> FlightDownloadAsync(string tenant, string sql)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_flightPort}", new GrpcChannelOptions { MaxReceiveMessageSize = null });
        var client = new FlightClient(channel);
        var headers = new Grpc.Core.Metadata { { "x-scope-orgid", tenant } };
        var info = await client.GetInfo(FlightDescriptor.CreateCommandDescriptor(Any.Pack(new CommandStatementQuery { Query = sql }).ToByteArray()), headers).ResponseAsync;
        long total = 0;
        foreach (var endpoint in info.Endpoints)
        {
            using var call = client.GetStream(endpoint.Ticket, headers);
            while (await call.ResponseStream.MoveNext(default))
            {
                using var batch = call.ResponseStream.Current;
                total += batch.Arrays.Sum(array => BufferBytes(array.Data));
            }
        }

        return total;
    }

    private static long BufferBytes(ArrayData data) => data.Buffers.Sum(b => (long)b.Length) + (data.Children ?? []).Sum(BufferBytes);

    /// <summary>Runs a query and returns its rows.</summary>
    public JsonArray Query(string tenant, string sql) => Get(tenant, $"/api/v1/sql?limit=100000&q={Uri.EscapeDataString(sql)}")["rows"]!.AsArray();

    /// <summary>GETs a path of the query API and parses the JSON answer.</summary>
    public JsonNode Get(string tenant, string pathAndQuery) => JsonNode.Parse(Fetch(tenant, pathAndQuery))!;

    /// <summary>GETs a path of the query API and returns the whole body (what a client must wait for, without parsing it).</summary>
    public string Fetch(string tenant, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{_port}{pathAndQuery}"));
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = _http.Send(request);
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        return response.StatusCode == HttpStatusCode.OK ? body : throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _http.Dispose();
        Directory.Delete(_scratch, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
