using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using IceGate.Lakehouse.DuckDB;
using NetData = DuckDB.NET.Data;

namespace IceGate.Benchmarks;

/// <summary>
/// Our ADO.NET provider (src/Lakehouse/DuckDB) side by side with DuckDB.NET.Data 1.5.6.1 over the
/// same libduckdb.so: reading 1 M log-like rows (timestamp, service, severity, 130-byte body) value
/// by value, appending them (flat columns: DuckDB.NET's appender cannot append MAP or STRUCT, which
/// every signal table has), and 1,000 executions of a statement with a bound parameter.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 7)]
public class ProviderBenchmark
{
    private const int Rows = 1_000_000;
    private const string Create = "CREATE OR REPLACE TABLE logs (ts TIMESTAMP, service VARCHAR, severity INTEGER, body VARCHAR)";
    private const string Fill = "INSERT INTO logs SELECT TIMESTAMP '2026-11-01' + INTERVAL (i) SECOND, 'service-' || (i % 60), (i % 4) * 4 + 5, rpad('GET /api/v1/orders/' || i, 130, '.') FROM range(1000000) t(i)";
    private const string Count = "SELECT count(*) FROM logs WHERE severity = $severity";

    private readonly DateTime _start = new(2026, 11, 1);
    private readonly string[] _bodies = [.. Enumerable.Range(0, 4096).Select(i => $"GET /api/v1/orders/{i}".PadRight(130, '.'))];
    private DuckDBConnection _ours = null!;
    private NetData.DuckDBConnection _theirs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ours = new DuckDBConnection("Data Source=:memory:;threads=2");
        _ours.Open();
        _theirs = new NetData.DuckDBConnection("Data Source=:memory:;threads=2");
        _theirs.Open();
        foreach (var sql in new[] { Create, Fill })
        {
            using var ours = _ours.CreateCommand();
            ours.CommandText = sql;
            ours.ExecuteNonQuery();
            using var theirs = _theirs.CreateCommand();
            theirs.CommandText = sql;
            theirs.ExecuteNonQuery();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _theirs.Dispose();
    }

    [Benchmark(Baseline = true, Description = "read 1 M rows: ours")]
    public long ReadOurs() => ReadLogs(_ours);

    [Benchmark(Description = "read 1 M rows: DuckDB.NET.Data")]
    public long ReadTheirs() => ReadLogs(_theirs);

    [Benchmark(Description = "append 1 M flat rows: ours")]
    public void AppendOurs()
    {
        Execute(_ours, "CREATE OR REPLACE TABLE appended (ts TIMESTAMP, service VARCHAR, severity INTEGER, body VARCHAR)");
        using var appender = _ours.CreateAppender("appended");
        for (var i = 0; i < Rows; i++)
        {
            appender.Append(_start.AddTicks(i * 10L)).Append("checkout").Append(9).Append(_bodies[i & 4095]);
            appender.EndRow();
        }
    }

    [Benchmark(Description = "append 1 M flat rows: DuckDB.NET.Data")]
    public void AppendTheirs()
    {
        Execute(_theirs, "CREATE OR REPLACE TABLE appended (ts TIMESTAMP, service VARCHAR, severity INTEGER, body VARCHAR)");
        using var appender = _theirs.CreateAppender("appended");
        for (var i = 0; i < Rows; i++)
        {
            appender.CreateRow().AppendValue(_start.AddTicks(i * 10L)).AppendValue("checkout").AppendValue(9).AppendValue(_bodies[i & 4095]).EndRow();
        }
    }

    [Benchmark(Description = "1,000 parameterised counts: ours")]
    public long ParametersOurs()
    {
        long total = 0;
        using var command = _ours.CreateCommand();
        command.CommandText = Count;
        var parameter = new DuckDBParameter("severity", 9);
        command.Parameters.Add(parameter);
        for (var i = 0; i < 1000; i++)
        {
            parameter.Value = ((i % 4) * 4) + 5;
            total += (long)command.ExecuteScalar()!;
        }

        return total;
    }

    [Benchmark(Description = "1,000 parameterised counts: DuckDB.NET.Data")]
    public long ParametersTheirs()
    {
        long total = 0;
        using var command = _theirs.CreateCommand();
        command.CommandText = Count;
        var parameter = new NetData.DuckDBParameter("severity", 9);
        command.Parameters.Add(parameter);
        for (var i = 0; i < 1000; i++)
        {
            parameter.Value = ((i % 4) * 4) + 5;
            total += (long)command.ExecuteScalar()!;
        }

        return total;
    }

    private static long ReadLogs(System.Data.Common.DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts, service, severity, body FROM logs";
        using var reader = command.ExecuteReader();
        return Consume(reader);
    }

    private static long Consume(System.Data.Common.DbDataReader reader)
    {
        long checksum = 0;
        while (reader.Read())
        {
            checksum += reader.GetDateTime(0).Ticks + reader.GetString(1).Length + reader.GetInt32(2) + reader.GetString(3).Length;
        }

        return checksum;
    }

    private static void Execute(System.Data.Common.DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
