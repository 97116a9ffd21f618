using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using IceGate.Catalog;
using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;

namespace IceGate.Server.Tests;

/// <summary>
/// Three icegate processes ingest and shift on one store while clients send logs and a random
/// process is killed with SIGKILL every few seconds and restarted. Afterwards the logs table must
/// hold every acknowledged record exactly once.
/// </summary>
public sealed class ChaosTests : IDisposable
{
    private const int RecordsPerRequest = 1000;
    private const int Clients = 8;
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-chaos-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public Task On_the_local_store_with_five_percent_faults_a_million_records_survive_repeated_kills_exactly_once() =>
        RunAsync(null, new LocalObjectStore(Path.Combine(_directory, "data")), records: 1_000_000,
            "--Store:Faults:ErrorRate=0.05", "--Store:Faults:LostResponseRate=0.05", "--Store:Faults:LatencyRate=0.05", "--Store:Faults:MaxLatency=00:00:00.050");

    [Fact]
    public Task On_s3_records_survive_repeated_kills_exactly_once()
    {
        var environment = IceGateProcess.S3Environment();
        var store = IceGateProcess.S3Store(environment);
        return RunAsync(environment, store, records: 150_000);
    }

    private async Task RunAsync(Dictionary<string, string>? environment, IObjectStore store, int records, params string[] extraArguments)
    {
        string[] arguments =
        [
            "serve", "--Shift:SettleTime=00:00:03", "--Shift:MaxClockSkew=00:00:00.500", "--Shift:PollInterval=00:00:00.200", "--Shift:LeaseDuration=00:00:10",
            "--Shift:WalGrace=00:00:05", "--Ingest:Wal:PublishDeadline=00:00:02", .. extraArguments,
        ];
        var token = TestContext.Current.CancellationToken;
        var processes = new IceGateProcess[3];
        for (var i = 0; i < processes.Length; i++)
        {
            processes[i] = IceGateProcess.Start(_directory, environment, arguments);
        }

        var acknowledged = new ConcurrentBag<string>();
        var refused = new ConcurrentBag<string>();
        long acknowledgedRecords = 0;
        var kills = 0;
        try
        {
            foreach (var process in processes)
            {
                await process.WaitUntilHealthyAsync(token);
            }

            using var sendersDone = new CancellationTokenSource();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            var senders = Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                // Until enough records are in and the killer has struck a few times.
                for (var request = 0; (Interlocked.Read(ref acknowledgedRecords) < records || Volatile.Read(ref kills) < 3) && !deadline.IsCancellationRequested; request++)
                {
                    var id = $"c{client}-r{request}";
                    var content = new ByteArrayContent(Proto.Logs("chaos", Enumerable.Range(0, RecordsPerRequest).Select(k => $"{id}-{k}").ToArray()));
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                    try
                    {
                        using var response = await http.PostAsync(new Uri(processes[(client + request) % processes.Length].OtlpHttpUrl, "/v1/logs"), content);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            acknowledged.Add(id);
                            Interlocked.Add(ref acknowledgedRecords, RecordsPerRequest);
                        }
                        else
                        {
                            refused.Add(id);
                            await Task.Delay(50);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        // No answer (the process died): the records may or may not be durable.
                        await Task.Delay(50);
                    }
                }
            })).ToArray();

            var killer = Task.Run(async () =>
            {
                while (!senders.All(s => s.IsCompleted))
                {
                    await Task.Delay(Random.Shared.Next(1500, 3000));
                    var victim = Random.Shared.Next(processes.Length);
                    await processes[victim].KillAsync();
                    await processes[victim].DisposeAsync();
                    var restarted = IceGateProcess.Start(_directory, environment, arguments);
                    await restarted.WaitUntilHealthyAsync(token);
                    processes[victim] = restarted;
                    Interlocked.Increment(ref kills);
                }
            });
            await Task.WhenAll(senders);
            await killer;

            Assert.True(Interlocked.Read(ref acknowledgedRecords) >= records, $"only {acknowledgedRecords} records were acknowledged in four minutes");
            Assert.True(kills >= 3, $"only {kills} kills happened");

            // Every acknowledged record reaches the table exactly once; a record of a request that got
            // an error status never does; one whose answer was lost to a kill may, at most once.
            var expected = acknowledged.SelectMany(id => Enumerable.Range(0, RecordsPerRequest).Select(k => $"{id}-{k}")).ToHashSet();
            Dictionary<string, long> table = [];
            for (var wait = 0; wait < 120 && !expected.All(table.ContainsKey); wait++)
            {
                await Task.Delay(1000, token);
                table = await LogBodiesAsync(store);
            }

            var duplicated = table.Where(b => b.Value > 1).Select(b => b.Key).Take(5).ToList();
            Assert.True(duplicated.Count == 0, $"records in the table more than once: {string.Join(", ", duplicated)}");
            var missing = expected.Where(b => !table.ContainsKey(b)).Take(5).ToList();
            Assert.True(missing.Count == 0, $"acknowledged records missing from the table: {string.Join(", ", missing)}");
            var refusedStored = refused.Where(id => table.ContainsKey($"{id}-0")).Take(5).ToList();
            Assert.True(refusedStored.Count == 0, $"records of refused requests are in the table: {string.Join(", ", refusedStored)}");
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            (store as IDisposable)?.Dispose();
        }
    }

    /// <summary>How often each body occurs in the logs table's current snapshot.</summary>
    private async Task<Dictionary<string, long>> LogBodiesAsync(IObjectStore store)
    {
        var catalog = new IcebergCatalog(store);
        var table = await catalog.LoadTableAsync("icegate", "logs");
        var files = (await new ScanPlanner(catalog).PlanAsync(table.Metadata, new ScanRequest())).Files;
        if (files.Count == 0)
        {
            return [];
        }

        var local = Directory.CreateDirectory(Path.Combine(_directory, "table", Guid.NewGuid().ToString("N"))).FullName;
        var paths = new List<string>();
        foreach (var file in files)
        {
            var data = await store.GetAsync(store.KeyOf(file.FilePath));
            var path = Path.Combine(local, $"{paths.Count}.parquet");
            await File.WriteAllBytesAsync(path, data!.Content.ToArray());
            paths.Add(path);
        }

        using var duck = new DuckDBConnection();
        duck.Open();
        using var command = new DuckDBCommand($"SELECT body, count(*) FROM read_parquet([{string.Join(", ", paths.Select(p => $"'{p}'"))}], hive_partitioning = false) GROUP BY body", duck);
        using var reader = command.ExecuteReader();
        var bodies = new Dictionary<string, long>();
        while (reader.Read())
        {
            bodies[reader.GetString(0)] = reader.GetInt64(1);
        }

        Directory.Delete(local, recursive: true);
        return bodies;
    }
}
