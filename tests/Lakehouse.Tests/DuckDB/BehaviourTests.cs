using System.Data;
using System.Diagnostics;
using Dapper;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.Lakehouse.Tests.DuckDB;

/// <summary>Not run in parallel with other tests: the cancellation tests measure latency.</summary>
[Collection(nameof(TimingSensitive))]
public sealed class BehaviourTests : IDisposable
{
    private const string EndlessQuery = "SELECT count(*) FROM range(1000000000000) a, range(1000) b WHERE a.range + b.range = -1";

    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-duckdb-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Errors_carry_duckdbs_message_and_type()
    {
        using var connection = OpenMemory();
        var catalog = Assert.Throws<DuckDBException>(() => Execute(connection, "SELECT * FROM no_such_table"));
        Assert.Equal(DuckDBErrorType.Catalog, catalog.ErrorType);
        Assert.Contains("no_such_table", catalog.Message, StringComparison.Ordinal);

        var parser = Assert.Throws<DuckDBException>(() => Execute(connection, "SELEC 1"));
        Assert.Equal(DuckDBErrorType.Parser, parser.ErrorType);
        Assert.Contains("syntax error", parser.Message, StringComparison.Ordinal);

        var conversion = Assert.Throws<DuckDBException>(() => Execute(connection, "SELECT 'abc'::INTEGER"));
        Assert.Equal(DuckDBErrorType.Conversion, conversion.ErrorType);

        // An error raised while rows stream (not at prepare time) surfaces from Read.
        Execute(connection, "CREATE TABLE t AS SELECT i::VARCHAR AS v FROM range(5000) t(i); INSERT INTO t VALUES ('x')");
        using var command = new DuckDBCommand("SELECT v::INTEGER FROM t", connection);
        var streaming = Assert.Throws<DuckDBException>(() =>
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
            }
        });
        Assert.Equal(DuckDBErrorType.Conversion, streaming.ErrorType);

        Assert.Equal(1, Scalar<int>(new DuckDBCommand("SELECT 1", connection)));
    }

    // Latency assertions take the best of a few attempts: other test assemblies run at the same
    // time on the same cores, and scheduling noise can only add to the time an interrupt takes.
    [Fact]
    public async Task A_cancelled_token_stops_a_long_query_within_100_ms_and_the_connection_stays_usable()
    {
        using var connection = OpenMemory();
        var best = await BestOfAsync(async () =>
        {
            using var command = new DuckDBCommand(EndlessQuery, connection);
            using var cancellation = new CancellationTokenSource();
            var query = Task.Run(() => TimeUntilThrow<OperationCanceledException>(() => command.ExecuteScalarAsync(cancellation.Token).GetAwaiter().GetResult()), TestContext.Current.CancellationToken);
            await Task.Delay(300, TestContext.Current.CancellationToken);
            Assert.False(query.IsCompleted);
            var cancelledAt = Stopwatch.GetTimestamp();
            await cancellation.CancelAsync();
            return Stopwatch.GetElapsedTime(cancelledAt, await query);
        });

        Assert.True(best < TimeSpan.FromMilliseconds(100), $"cancellation took at best {best.TotalMilliseconds} ms");
        Assert.Equal(2, Scalar<int>(new DuckDBCommand("SELECT 2", connection)));
    }

    [Fact]
    public async Task Command_cancel_interrupts_a_running_query()
    {
        using var connection = OpenMemory();
        var best = await BestOfAsync(async () =>
        {
            using var command = new DuckDBCommand(EndlessQuery, connection);
            var query = Task.Run(() => TimeUntilThrow<DuckDBException>(() => command.ExecuteScalar(), e => Assert.Equal(DuckDBErrorType.Interrupt, e.ErrorType)), TestContext.Current.CancellationToken);
            await Task.Delay(300, TestContext.Current.CancellationToken);
            var cancelledAt = Stopwatch.GetTimestamp();
            command.Cancel();
            return Stopwatch.GetElapsedTime(cancelledAt, await query);
        });

        Assert.True(best < TimeSpan.FromMilliseconds(100), $"cancellation took at best {best.TotalMilliseconds} ms");
    }

    [Fact]
    public void Command_timeout_interrupts_with_a_timeout_error()
    {
        using var connection = OpenMemory();
        using var command = new DuckDBCommand(EndlessQuery, connection) { CommandTimeout = 1 };
        var error = Assert.Throws<DuckDBException>(() => command.ExecuteScalar());
        Assert.Equal(DuckDBErrorType.Interrupt, error.ErrorType);
        Assert.Contains("timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eight_connections_to_one_file_query_concurrently_and_see_each_others_commits()
    {
        var path = Path.Combine(_directory, "shared.duckdb");
        using (var setup = Open(path))
        {
            Execute(setup, "CREATE TABLE numbers AS SELECT i FROM range(100000) t(i); CREATE TABLE marks (writer INTEGER)");
        }

        var workers = Enumerable.Range(0, 8).Select(writer => Task.Run(() =>
        {
            using var connection = Open(path);
            for (var round = 0; round < 20; round++)
            {
                using var command = new DuckDBCommand("SELECT sum(i) FROM numbers WHERE i % 8 = $w", connection);
                command.Parameters.Add("w", writer);
                var expected = Enumerable.Range(0, 100000).Where(i => i % 8 == writer).Sum(i => (long)i);
                Assert.Equal(expected, Scalar<long>(command));
            }

            using var insert = new DuckDBCommand("INSERT INTO marks VALUES ($1)", connection);
            insert.Parameters.AddPositional(writer);
            Assert.Equal(1, insert.ExecuteNonQuery());
        })).ToArray();
        await Task.WhenAll(workers);

        using var check = Open(path);
        Assert.Equal(8L, Scalar<long>(new DuckDBCommand("SELECT count(DISTINCT writer) FROM marks", check)));
    }

    [Fact]
    public void A_database_file_persists_across_connections()
    {
        var path = Path.Combine(_directory, "persist.duckdb");
        using (var first = Open(path))
        {
            Execute(first, "CREATE TABLE kv (k VARCHAR, v INTEGER); INSERT INTO kv VALUES ('a', 1), ('b', 2)");
        }

        using var second = Open(path);
        Assert.Equal(3L, Scalar<long>(new DuckDBCommand("SELECT sum(v) FROM kv", second)));
    }

    [Fact]
    public void Everything_can_be_disposed_twice()
    {
        var connection = OpenMemory();
        var command = new DuckDBCommand("CREATE TABLE t (x INTEGER); SELECT 1", connection);
        var reader = command.ExecuteReader();
        reader.Dispose();
        reader.Dispose();
        var transaction = connection.BeginTransaction();
        transaction.Dispose();
        transaction.Dispose();
        var appender = connection.CreateAppender("t");
        appender.Dispose();
        appender.Dispose();
        command.Dispose();
        command.Dispose();
        connection.Dispose();
        connection.Dispose();
        Assert.Equal(ConnectionState.Closed, connection.State);
        Assert.Throws<ObjectDisposedException>(() => reader.Read());
    }

    [Fact]
    public void Bad_arguments_at_the_native_boundary_fail_cleanly()
    {
        using var connection = OpenMemory();
        Assert.Throws<InvalidOperationException>(() => new DuckDBCommand("SELECT 1", new DuckDBConnection()).ExecuteScalar());
        Assert.Throws<InvalidOperationException>(() => new DuckDBCommand { Connection = connection }.ExecuteScalar());
        Assert.Throws<InvalidOperationException>(() => new DuckDBCommand("   ", connection).ExecuteScalar());
        Assert.ThrowsAny<DuckDBException>(() => new DuckDBCommand("-- only a comment", connection).ExecuteScalar());
        Assert.ThrowsAny<DuckDBException>(() => new DuckDBCommand("SELECT 'a\0b'", connection).ExecuteScalar());

        var missing = Assert.Throws<DuckDBException>(() => new DuckDBCommand("SELECT $absent", connection).ExecuteScalar());
        Assert.Contains("absent", missing.Message, StringComparison.Ordinal);

        using var command = new DuckDBCommand("SELECT $v", connection);
        command.Parameters.Add("v", new object());
        Assert.Throws<ArgumentException>(() => command.ExecuteScalar());

        using var reader = new DuckDBCommand("SELECT 1 AS one", connection).ExecuteReader();
        Assert.Throws<InvalidOperationException>(() => reader.GetValue(0));
        Assert.True(reader.Read());
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.GetValue(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.GetValue(-1));
        Assert.Throws<IndexOutOfRangeException>(() => reader.GetOrdinal("two"));
        Assert.Throws<InvalidCastException>(() => reader.GetString(0));
        Assert.Throws<InvalidOperationException>(() => new DuckDBCommand("SELECT 2", connection).ExecuteScalar());
        Assert.Throws<ArgumentException>(() => connection.CreateAppender(""));
        Assert.Throws<InvalidOperationException>(() => new DuckDBConnection().CreateAppender("t"));
        Assert.Equal(DuckDBErrorType.Catalog, Assert.Throws<DuckDBException>(() => connection.CreateAppender("no_such_table")).ErrorType);
    }

    [Fact]
    public void An_unknown_setting_fails_to_open_with_duckdbs_message()
    {
        using var connection = new DuckDBConnection("Data Source=:memory:;no_such_setting=1");
        var error = Assert.Throws<DuckDBException>(connection.Open);
        Assert.Contains("no_such_setting", error.Message, StringComparison.Ordinal);
        Assert.Equal(ConnectionState.Closed, connection.State);
    }

    [Fact]
    public void Settings_in_the_connection_string_apply()
    {
        using var connection = new DuckDBConnection("Data Source=:memory:;threads=1;memory_limit=256MB");
        connection.Open();
        Assert.Equal(1L, Scalar<long>(new DuckDBCommand("SELECT current_setting('threads')", connection)));
    }

    [Fact]
    public void Transactions_commit_and_roll_back()
    {
        using var connection = OpenMemory();
        Execute(connection, "CREATE TABLE t (x INTEGER)");
        using (var transaction = connection.BeginTransaction())
        {
            Execute(connection, "INSERT INTO t VALUES (1)");
            transaction.Commit();
        }

        using (var transaction = connection.BeginTransaction())
        {
            Execute(connection, "INSERT INTO t VALUES (2)");
            transaction.Rollback();
        }

        using (connection.BeginTransaction())
        {
            Execute(connection, "INSERT INTO t VALUES (3)");
        }

        Assert.Equal(1L, Scalar<long>(new DuckDBCommand("SELECT sum(x) FROM t", connection)));
    }

    [Fact]
    public void A_batch_runs_every_statement_and_exposes_each_result_set()
    {
        using var connection = OpenMemory();
        using var command = new DuckDBCommand("CREATE TABLE t (x INTEGER); INSERT INTO t SELECT * FROM range(10); SELECT count(*) FROM t; UPDATE t SET x = 0 WHERE x < 4; SELECT sum(x) FROM t", connection);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(10L, reader.GetInt64(0));
        Assert.True(reader.NextResult());
        Assert.True(reader.Read());
        Assert.Equal(39L, reader.GetInt64(0));
        Assert.False(reader.NextResult());
        Assert.Equal(14, reader.RecordsAffected);
    }

    [Fact]
    public void Dapper_binds_dollar_name_parameters_and_maps_rows()
    {
        using var connection = OpenMemory();
        connection.Execute("CREATE TABLE logs (id INTEGER, service VARCHAR, level VARCHAR, ts TIMESTAMP)");
        connection.Execute(
            "INSERT INTO logs VALUES ($id, $service, $level, $ts)",
            Enumerable.Range(0, 30).Select(i => new { id = i, service = i % 3 == 0 ? "checkout" : "cart", level = i % 5 == 0 ? "ERROR" : "INFO", ts = new DateTime(2024, 1, 1).AddMinutes(i) }));

        var rows = connection.Query<LogRow>(
            "SELECT id AS Id, service AS Service, ts AS At FROM logs WHERE service = $service AND level = $level ORDER BY id",
            new { service = "checkout", level = "ERROR", unused = 1 }).ToList();

        Assert.Equal([0, 15], rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal("checkout", r.Service));
        Assert.Equal(new DateTime(2024, 1, 1, 0, 15, 0), rows[1].At);
        Assert.Equal(10, connection.ExecuteScalar<int>("SELECT count(*) FROM logs WHERE service = $s", new { s = "checkout" }));
    }

    /// <summary>The shortest of up to five timed attempts, stopping at the first under 100 ms.</summary>
    private static async Task<TimeSpan> BestOfAsync(Func<Task<TimeSpan>> attempt)
    {
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 5 && best >= TimeSpan.FromMilliseconds(100); i++)
        {
            var elapsed = await attempt();
            best = elapsed < best ? elapsed : best;
        }

        return best;
    }

    /// <summary>Runs a query that must fail, returning the timestamp at which the exception reached the caller's thread.</summary>
    private static long TimeUntilThrow<TException>(Action query, Action<TException>? check = null)
        where TException : Exception
    {
        try
        {
            query();
        }
        catch (TException e)
        {
            var thrownAt = Stopwatch.GetTimestamp();
            check?.Invoke(e);
            return thrownAt;
        }

        throw new InvalidOperationException("The query finished instead of being interrupted.");
    }

    private static T Scalar<T>(DuckDBCommand command)
    {
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return reader.GetFieldValue<T>(0);
    }

    private static DuckDBConnection OpenMemory() => Open(":memory:");

    private static DuckDBConnection Open(string path)
    {
        var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        return connection;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = new DuckDBCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private sealed record LogRow(int Id, string Service, DateTime At);
}
