using IceGate.Lakehouse.DuckDB;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;
using IceGate.Tests;

namespace IceGate.Catalog.Tests;

public sealed class ScanPlannerTests : IDisposable
{
    private static readonly string[] s_tenants = ["acme", "globex", "initech"];
    private static readonly DateOnly s_firstDay = new(2024, 1, 2);

    private readonly string _root = Directory.CreateTempSubdirectory("icegate-planner-").FullName;
    private readonly DuckDBConnection _duck = new();

    public ScanPlannerTests() => _duck.Open();

    public void Dispose()
    {
        _duck.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Pruning_never_drops_a_file_that_holds_matching_rows_and_drops_most_for_selective_predicates()
    {
        var store = new LocalObjectStore(Path.Combine(_root, "store"));
        var catalog = new IcebergCatalog(store);
        await catalog.CreateNamespaceAsync("icegate", cancellationToken: TestContext.Current.CancellationToken);
        var table = (await catalog.CreateTableAsync("icegate", TableSchemas.Logs, TestContext.Current.CancellationToken)).Metadata;

        var seed = 0;
        foreach (var day in Enumerable.Range(0, 4).Select(s_firstDay.AddDays))
        {
            var files = new List<DataFile>();
            foreach (var tenant in s_tenants)
            {
                // Two files per tenant and day: the same services, different hours, so bounds differ.
                files.Add(await WriteAsync(store, table, SampleRows.Logs(tenant, day, 400, seed++ * 1_000_003)));
                files.Add(await WriteAsync(store, table, $"(SELECT * FROM {SampleRows.Logs(tenant, day, 400, seed++ * 1_000_003)} WHERE hour(timestamp) < 6)"));
            }

            await catalog.CommitAsync("icegate", "logs", new AppendFiles(files), TestContext.Current.CancellationToken);
        }

        table = (await catalog.LoadTableAsync("icegate", "logs", TestContext.Current.CancellationToken)).Metadata;
        var planner = new ScanPlanner(catalog);
        var all = (await planner.PlanAsync(table, new ScanRequest(), TestContext.Current.CancellationToken)).Files;
        Assert.Equal(24, all.Count);

        var random = new Random(20241121);
        for (var round = 0; round < 40; round++)
        {
            var from = s_firstDay.ToDateTime(TimeOnly.MinValue).AddMinutes(random.Next(-600, 6 * 24 * 60));
            var request = new ScanRequest
            {
                TenantId = random.Next(4) == 0 ? null : s_tenants[random.Next(s_tenants.Length)],
                FromMicros = Micros(from),
                ToMicros = Micros(from.AddMinutes(random.Next(1, 3 * 24 * 60))),
                Equalities = random.Next(3) == 0 ? new Dictionary<string, object> { ["service_name"] = new[] { "cart", "checkout", "search", "zzz" }[random.Next(4)] } : new Dictionary<string, object>(),
            };
            var plan = await planner.PlanAsync(table, request, TestContext.Current.CancellationToken);
            var planned = plan.Files.Select(f => f.FilePath).ToHashSet();
            Assert.Equal(24, plan.FilesConsidered + (plan.ManifestsPruned * 6));
            foreach (var file in all)
            {
                if (MatchingRows(file, request) > 0)
                {
                    Assert.True(planned.Contains(file.FilePath), $"round {round}: {file.FilePath} holds matching rows but was pruned");
                }
            }
        }

        var oneHour = new ScanRequest { TenantId = "globex", FromMicros = Micros(s_firstDay.ToDateTime(new TimeOnly(13, 0))), ToMicros = Micros(s_firstDay.ToDateTime(new TimeOnly(14, 0))) };
        var selective = await planner.PlanAsync(table, oneHour, TestContext.Current.CancellationToken);
        Assert.Equal(3, selective.ManifestsPruned);
        Assert.Equal(5, selective.FilesPruned);
        Assert.Single(selective.Files);
    }

    private static long Micros(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private long MatchingRows(DataFile file, ScanRequest request)
    {
        var conditions = new List<string> { "true" };
        if (request.TenantId is { } tenant)
        {
            conditions.Add($"tenant_id = '{tenant}'");
        }

        conditions.Add($"timestamp >= make_timestamp({request.FromMicros}::BIGINT) AND timestamp < make_timestamp({request.ToMicros}::BIGINT)");
        conditions.AddRange(request.Equalities.Select(e => $"{e.Key} = '{e.Value}'"));
        using var command = new DuckDBCommand($"SELECT count(*) FROM read_parquet('{new Uri(file.FilePath).LocalPath}') WHERE {string.Join(" AND ", conditions)}", _duck);
        return (long)command.ExecuteScalar()!;
    }

    private async Task<DataFile> WriteAsync(LocalObjectStore store, TableMetadata table, string rows)
    {
        var local = Path.Combine(_root, $"{Guid.NewGuid():N}.parquet");
        var key = $"warehouse/icegate/logs/data/{Guid.NewGuid():N}.parquet";
        var file = ParquetDataFileWriter.Write(_duck, table, rows, local, $"{store.Location}/{key}")!;
        await store.PutAsync(key, await File.ReadAllBytesAsync(local, TestContext.Current.CancellationToken), PutCondition.IfNoneMatch, TestContext.Current.CancellationToken);
        return file;
    }
}
