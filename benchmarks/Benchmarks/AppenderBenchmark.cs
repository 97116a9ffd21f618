using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.Benchmarks;

/// <summary>
/// Bulk load of log-like rows (timestamp, service, severity, ~130-byte body, 32-hex trace id)
/// through the chunk appender. Rows/s = <see cref="Rows"/> / mean time. The DuckDB notes measured
/// 1.8–2.8 M rows/s on the chunk path from C; the target is at least 1.5 M.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 10)]
public class AppenderBenchmark
{
    public const int Rows = 1_000_000;

    private static readonly string[] s_services = ["checkout", "cart", "payments", "search", "frontend", "recommendation", "shipping", "email"];
    private static readonly string[] s_severities = ["DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"];

    private readonly string[] _bodies = new string[4096];
    private readonly byte[][] _bodiesUtf8 = new byte[4096][];
    private readonly string[] _traceIds = new string[4096];
    private readonly byte[][] _traceIdsUtf8 = new byte[4096][];
    private readonly DateTime _start = new(2026, 11, 1);
    private DuckDBConnection _connection = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (var i = 0; i < _bodies.Length; i++)
        {
            _bodies[i] = $"GET /api/v1/orders/{random.Next(1_000_000)} completed in {random.Next(2000)} ms for user {random.Next(100_000)} with status {200 + (random.Next(4) * 100)} via edge-{random.Next(64)}";
            _bodies[i] = _bodies[i].PadRight(130, '.');
            _bodiesUtf8[i] = Encoding.UTF8.GetBytes(_bodies[i]);
            _traceIds[i] = Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()));
            _traceIdsUtf8[i] = Encoding.UTF8.GetBytes(_traceIds[i]);
        }

        _connection = new DuckDBConnection("Data Source=:memory:;threads=2");
        _connection.Open();
    }

    [IterationSetup]
    public void CreateTable()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "DROP TABLE IF EXISTS logs; CREATE TABLE logs (ts TIMESTAMP, service VARCHAR, severity VARCHAR, body VARCHAR, trace_id VARCHAR)";
        command.ExecuteNonQuery();
    }

    [Benchmark(Baseline = true, Description = "strings (UTF-16 encoded per value)")]
    public void AppendStrings()
    {
        using var appender = _connection.CreateAppender("logs");
        for (var i = 0; i < Rows; i++)
        {
            appender.Append(_start.AddTicks(i * 10L)).Append(s_services[i & 7]).Append(s_severities[i % 6]).Append(_bodies[i & 4095]).Append(_traceIds[i & 4095]);
            appender.EndRow();
        }
    }

    [Benchmark(Description = "UTF-8 spans (as decoded from OTLP)")]
    public void AppendUtf8()
    {
        using var appender = _connection.CreateAppender("logs");
        for (var i = 0; i < Rows; i++)
        {
            appender.Append(_start.AddTicks(i * 10L)).Append(s_services[i & 7]).Append(s_severities[i % 6]).AppendUtf8(_bodiesUtf8[i & 4095]).AppendUtf8(_traceIdsUtf8[i & 4095]);
            appender.EndRow();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _connection.Dispose();
}
