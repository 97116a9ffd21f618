using BenchmarkDotNet.Attributes;
using IceGate.Catalog;
using IceGate.Lakehouse.Iceberg;
using IceGate.Lakehouse.Storage;

namespace IceGate.Benchmarks;

/// <summary>
/// Warm scan planning over a logs table of 1,000 data files: 30 days × 10 tenants, each tenant-day
/// split into files covering successive parts of the day, one append per day (30 manifests). The
/// query is one tenant over one hour. Setup fails unless that plan prunes at least 99% of files.
/// Target: under 50 ms warm.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[ShortRunJob]
public class ScanPlanningBenchmark
{
    private const int Days = 30;
    private const int Tenants = 10;
    private const int Files = 1000;
    private static readonly DateTime s_firstDay = new(2026, 10, 1);

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"icegate-planning-{Guid.NewGuid():N}");
    private ScanPlanner _planner = null!;
    private TableMetadata _table = null!;
    private ScanRequest _oneTenantOneHour = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [Benchmark(Description = "plan: 1 tenant, 1 hour, 1,000 files (warm)")]
    public async Task<int> PlanOneTenantOneHour() => (await _planner.PlanAsync(_table, _oneTenantOneHour)).Files.Count;

    [Benchmark(Description = "plan: everything, 1,000 files (warm)")]
    public async Task<int> PlanEverything() => (await _planner.PlanAsync(_table, new ScanRequest())).Files.Count;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    private static long Micros(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private async Task SetupAsync()
    {
        var store = new LocalObjectStore(_root);
        var catalog = new IcebergCatalog(store);
        await catalog.CreateNamespaceAsync("icegate");
        var location = (await catalog.CreateTableAsync("icegate", TableSchemas.Logs)).Metadata.Location;
        var written = 0;
        for (var day = 0; day < Days; day++)
        {
            var files = new List<DataFile>();
            for (var tenant = 0; tenant < Tenants; tenant++)
            {
                // Spread 1,000 files as evenly as possible over the 300 tenant-days.
                var slot = (day * Tenants) + tenant;
                var parts = ((slot + 1) * Files / (Days * Tenants)) - (slot * Files / (Days * Tenants));
                for (var part = 0; part < parts; part++)
                {
                    var from = s_firstDay.AddDays(day).AddHours(24.0 * part / parts);
                    files.Add(File(location, $"tenant-{tenant}", from, s_firstDay.AddDays(day).AddHours(24.0 * (part + 1) / parts).AddTicks(-10), written++));
                }
            }

            await catalog.CommitAsync("icegate", "logs", new AppendFiles(files));
        }

        _table = (await catalog.LoadTableAsync("icegate", "logs")).Metadata;
        _planner = new ScanPlanner(catalog);
        var start = s_firstDay.AddDays(17).AddHours(13);
        _oneTenantOneHour = new ScanRequest { TenantId = "tenant-3", FromMicros = Micros(start), ToMicros = Micros(start.AddHours(1)) };
        var cold = System.Diagnostics.Stopwatch.StartNew();
        var plan = await new ScanPlanner(new IcebergCatalog(store)).PlanAsync(_table, _oneTenantOneHour);
        cold.Stop();
        await _planner.PlanAsync(_table, new ScanRequest());
        var pruned = 1.0 - ((double)plan.Files.Count / Files);
        Console.WriteLine($"// plan: {written} files in {plan.ManifestsConsidered} manifests; {plan.ManifestsPruned} manifests and {plan.FilesPruned} more files pruned; {plan.Files.Count} to read ({pruned:P2} pruned); cold plan {cold.Elapsed.TotalMilliseconds:F1} ms");
        if (written != Files || pruned < 0.99)
        {
            throw new InvalidOperationException($"Expected ≥ 99% of {Files} files pruned, got {pruned:P2} of {written}.");
        }
    }

    private static DataFile File(string location, string tenant, DateTime from, DateTime to, int number)
    {
        var day = (int)(Micros(from.Date) / 86_400_000_000L);
        return new DataFile
        {
            FilePath = $"{location}/data/tenant_id={tenant}/timestamp_day={day}/{number:D5}.parquet",
            Partition = [tenant, day],
            RecordCount = 100_000,
            FileSizeInBytes = 8 << 20,
            ValueCounts = new Dictionary<int, long> { [1] = 100_000, [3] = 100_000 },
            NullValueCounts = new Dictionary<int, long> { [1] = 0, [3] = 0 },
            LowerBounds = new Dictionary<int, byte[]> { [1] = SingleValue.Encode(PrimitiveType.String, tenant), [3] = SingleValue.Encode(PrimitiveType.Timestamp, Micros(from)) },
            UpperBounds = new Dictionary<int, byte[]> { [1] = SingleValue.Encode(PrimitiveType.String, tenant), [3] = SingleValue.Encode(PrimitiveType.Timestamp, Micros(to)) },
        };
    }
}
