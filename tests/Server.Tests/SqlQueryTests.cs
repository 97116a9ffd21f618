using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IceGate.Lakehouse.DuckDB;
using IceGate.Tests;

namespace IceGate.Server.Tests;

public sealed class SqlQueryTests(SqlFixture fixture) : IClassFixture<SqlFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Acknowledged_logs_are_queryable_at_once_from_the_wal_and_give_the_same_answers_from_iceberg()
    {
        const string Tenant = "tenant-fresh";
        const string ByService = "SELECT service_name, count(*) AS n, max(severity_number) AS worst FROM logs GROUP BY service_name ORDER BY service_name";
        const string Rows = "SELECT trace_id, service_name, severity_number, body, \"timestamp\", log_attributes FROM logs ORDER BY trace_id";
        var before = DateTimeOffset.UtcNow;
        await fixture.SendAsync(Tenant, Enumerable.Range(0, 50).Select(i => fixture.Record(i, $"fresh-{i}")), Token);

        // Straight after the acknowledgement: the rows can only come from the WAL.
        var fromWal = await fixture.QueryAsync(Tenant, ByService, token: Token);
        var rowsFromWal = await fixture.QueryAsync(Tenant, Rows, token: Token);
        Assert.Equal(HttpStatusCode.OK, fromWal.Status);
        Assert.True(fromWal.Stats!["walSegments"]!.GetValue<int>() >= 1, fromWal.Text);
        Assert.Equal(50, fromWal.Rows.Sum(r => r![1]!.GetValue<long>()));
        Assert.Equal(50, rowsFromWal.Rows.Count);
        var snapshotBefore = fromWal.Json["stats"]!["snapshotId"]!.GetValue<long>();

        await fixture.WaitUntilShiftedAsync(Tenant, 50, Token);
        var fromTable = await fixture.QueryAsync(Tenant, ByService, token: Token);
        var rowsFromTable = await fixture.QueryAsync(Tenant, Rows, token: Token);
        Assert.Equal(0, fromTable.Json["stats"]!["walSegments"]!.GetValue<int>());
        Assert.True(fromTable.Json["stats"]!["filesScanned"]!.GetValue<int>() >= 1);
        Assert.Equal(fromWal.Rows.ToJsonString(), fromTable.Rows.ToJsonString());
        Assert.Equal(rowsFromWal.Rows.ToJsonString(), rowsFromTable.Rows.ToJsonString());
        Assert.Equal("fresh-0", rowsFromTable.Rows[0]![3]!.GetValue<string>());
        Assert.Equal("205", rowsFromTable.Rows[0]![5]!["http.status"]!.GetValue<string>());

        // Time travel: the snapshot before the commit, and the table as it was before the send, do not have the rows.
        var old = await fixture.QueryAsync(Tenant, "SELECT count(*) FROM logs", $"&snapshot={snapshotBefore}", Token);
        Assert.Equal(0, old.Rows[0]![0]!.GetValue<long>());
        Assert.Equal(0, old.Json["stats"]!["walSegments"]!.GetValue<int>());
        var asOf = await fixture.QueryAsync(Tenant, "SELECT count(*) FROM logs", $"&as_of={Uri.EscapeDataString(before.ToString("O"))}", Token);
        Assert.Equal(0, asOf.Rows[0]![0]!.GetValue<long>());
        var missing = await fixture.QueryAsync(Tenant, "SELECT count(*) FROM logs", "&snapshot=12345", Token);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_rows_and_no_file_outside_its_scope()
    {
        // Connections and their views are reused between queries: alternate tenants on the same statements.
        for (var i = 0; i < 6; i++)
        {
            var (tenant, rows) = i % 2 == 0 ? (SqlFixture.TenantB, SqlFixture.RowsOfB) : (SqlFixture.TenantA, SqlFixture.RowsOfA);
            var count = await fixture.QueryAsync(tenant, "SELECT count(*), count(DISTINCT tenant_id), min(tenant_id) FROM logs", token: Token);
            Assert.Equal($"[[{rows},1,\"{tenant}\"]]", count.Rows.ToJsonString());
        }

        var dataFile = Directory.EnumerateFiles(Path.Combine(fixture.Process.WorkingDirectory), "*.parquet", SearchOption.AllDirectories).First(f => f.Contains("tenant_id=" + SqlFixture.TenantB, StringComparison.Ordinal) || f.Contains("wal", StringComparison.Ordinal));
        string[] refused =
        [
            "SELECT * FROM read_csv('/etc/passwd')",
            "SELECT * FROM read_csv_auto('/etc/passwd', header = false)",
            "SELECT * FROM '/etc/passwd'",
            "SELECT * FROM \"/etc/passwd\"",
            $"SELECT * FROM read_parquet('{dataFile}')",
            $"SELECT * FROM '{dataFile}'",
            "SELECT * FROM read_parquet('/tmp/**/*.parquet')",
            "SELECT * FROM glob('/tmp/*')",
            "SELECT * FROM read_text('/etc/hostname')",
            "SELECT (SELECT count(*) FROM read_blob('/etc/passwd')) FROM logs",
            "WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x",
            "SELECT * FROM logs WHERE body IN (SELECT content FROM read_text('/etc/passwd'))",
            "SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')",
            "SELECT * FROM duckdb_settings()",
            "SELECT * FROM information_schema.tables",
            "SELECT * FROM temp.main.logs",
            "SELECT * FROM memory.main.logs",
            "SELECT * FROM logs AT (VERSION => 1)",
            "SHOW TABLES",
            "SELECT 1; SELECT * FROM read_csv('/etc/passwd')",
            "SELECT 1 /* ; */ ; ATTACH '/tmp/x.db' AS x",
            "SELECT * FROM logs -- comment\n; COPY logs TO '/tmp/stolen.csv'",
            "COPY (SELECT * FROM logs) TO '/tmp/stolen.csv'",
            "ATTACH '/tmp/other.duckdb' AS other",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "PRAGMA enable_profiling",
            "CALL duckdb_settings()",
            "CREATE TABLE t AS SELECT * FROM logs",
            "EXPORT DATABASE '/tmp/export'",
            "DESCRIBE SELECT * FROM read_csv('/etc/passwd')",
        ];
        foreach (var sql in refused)
        {
            var answer = await fixture.QueryAsync(SqlFixture.TenantA, sql, token: Token);
            Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{sql}\n=> {(int)answer.Status} {answer.Text}");
            Assert.False(string.IsNullOrWhiteSpace(answer.Error));
        }

        // Allowed statements that try to reach the other tenant through the tables get none of its rows.
        string[] allowed =
        [
            $"SELECT * FROM logs WHERE tenant_id = '{SqlFixture.TenantB}'",
            $"SELECT * FROM logs WHERE tenant_id = '{SqlFixture.TenantA}' OR tenant_id = '{SqlFixture.TenantB}' OR 1 = 1",
            $"SELECT body FROM logs WHERE body LIKE '{SqlFixture.SecretOfB}%'",
            "SELECT * FROM logs UNION ALL SELECT * FROM logs",
            "SELECT * FROM logs a JOIN logs b USING (trace_id)",
            "WITH logs AS (SELECT * FROM logs) SELECT * FROM logs",
            "SELECT * FROM (SELECT * FROM logs) WHERE tenant_id <> 'x'",
            "SUMMARIZE logs",
            "DESCRIBE logs",
            "SELECT tenant_id, count(*) FROM logs GROUP BY ALL",
        ];
        foreach (var sql in allowed)
        {
            var answer = await fixture.QueryAsync(SqlFixture.TenantA, sql, "&limit=100000", Token);
            Assert.True(answer.Status == HttpStatusCode.OK, $"{sql}\n=> {(int)answer.Status} {answer.Text}");
            Assert.DoesNotContain(SqlFixture.SecretOfB, answer.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(SqlFixture.TenantB, answer.Text, StringComparison.Ordinal);
        }

        foreach (var header in (string[])["tenant-a' OR '1'='1", "tenant-a/../tenant-b", "", new string('a', 151)])
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Process.QueryUrl, "/api/v1/sql?q=SELECT%20count(*)%20FROM%20logs"));
            request.Headers.TryAddWithoutValidation("X-Scope-OrgID", header);
            using var response = await fixture.Http.SendAsync(request, Token);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [Fact]
    public async Task DuckDB_itself_refuses_files_outside_the_cache_and_settings_even_past_the_sql_check()
    {
        var directory = Directory.CreateTempSubdirectory("icegate-engine-").FullName;
        try
        {
            var store = new Lakehouse.Storage.LocalObjectStore(Path.Combine(directory, "data"));
            using var engine = new QueryApi.QueryEngine(new Catalog.IcebergCatalog(store), store, "icegate", new QueryApi.QueryOptions { CacheDirectory = Path.Combine(directory, "cache") });
            using var prepared = await engine.PrepareAsync(new QueryApi.SqlQuery("SELECT * FROM logs", "a", null, null, 10, QueryApi.ResultFormat.Json), Token);
            foreach (var sql in (string[])["SELECT * FROM read_csv('/etc/passwd')", "SET enable_external_access = true", "SET allowed_directories = ['/']", $"COPY (SELECT 1) TO '{Path.Combine(directory, "x.csv")}'", $"ATTACH '{Path.Combine(directory, "x.db")}' AS x"])
            {
                using var command = prepared.Connection.CreateCommand();
                command.CommandText = sql;
                var error = Assert.Throws<DuckDBException>(() => command.ExecuteNonQuery());
                Assert.True(error.ErrorType is DuckDBErrorType.Permission or DuckDBErrorType.InvalidInput, $"{sql}: {error.ErrorType} {error.Message}");
            }

            Assert.False(File.Exists(Path.Combine(directory, "x.csv")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Pruning_never_changes_answers()
    {
        var random = new Random(20261122);
        var pruned = 0;
        for (var i = 0; i < 40; i++)
        {
            var predicates = new List<string>();
            if (random.Next(2) == 0)
            {
                predicates.Add($"service_name = '{SqlFixture.Services[random.Next(SqlFixture.Services.Length)]}'");
            }

            if (random.Next(3) == 0)
            {
                predicates.Add($"severity_number = {SqlFixture.Severities[random.Next(SqlFixture.Severities.Length)]}");
            }

            var from = fixture.FirstDay.AddHours(random.Next(-24, 24 * 6));
            var to = from.AddHours(random.Next(1, 72));
            predicates.Add(random.Next(4) switch
            {
                0 => $"\"timestamp\" >= '{Plain(from)}' AND \"timestamp\" < '{Plain(to)}'",
                1 => $"\"timestamp\" BETWEEN TIMESTAMP '{Plain(from)}' AND TIMESTAMP '{Plain(to)}'",
                2 => $"'{Plain(from)}' < \"timestamp\"",
                _ => $"\"timestamp\" <= '{Plain(to)}'",
            });
            var window = random.Next(3) == 0 ? $"&start={Uri.EscapeDataString(from.AddHours(-6).ToString("O"))}&end={to.ToUnixTimeMilliseconds()}" : string.Empty;
            var sql = $"SELECT trace_id, service_name, severity_number, \"timestamp\" FROM logs WHERE {string.Join(" AND ", predicates)} ORDER BY trace_id";
            var on = await fixture.QueryAsync(SqlFixture.TenantA, sql, window + "&limit=100000", Token);
            var off = await fixture.QueryAsync(SqlFixture.TenantA, sql, window + "&limit=100000&prune=false", Token);
            Assert.True(on.Status == HttpStatusCode.OK, on.Text);
            Assert.Equal(off.Rows.ToJsonString(), on.Rows.ToJsonString());
            Assert.Equal(0, off.Json["stats"]!["filesPruned"]!.GetValue<int>());
            pruned += on.Json["stats"]!["filesPruned"]!.GetValue<int>();
        }

        Assert.True(pruned > 0, "no query pruned a file: the test would not notice wrong pruning");
    }

    [Fact]
    public async Task Csv_parquet_and_ndjson_results_read_back_by_duckdb_equal_the_json_result()
    {
        const string Sql = "SELECT trace_id, service_name, severity_number, body, \"timestamp\", log_attributes, severity_number / 2 AS half FROM logs ORDER BY trace_id";
        var json = await fixture.QueryAsync(SqlFixture.TenantA, Sql, token: Token);
        var expected = json.Rows.Select(r => r!.AsArray().Select(Canonical).ToArray()).ToList();
        Assert.Equal(SqlFixture.RowsOfA, expected.Count);

        var directory = Directory.CreateTempSubdirectory("icegate-formats-").FullName;
        try
        {
            using var duck = new DuckDBConnection("Data Source=:memory:");
            duck.Open();
            foreach (var (format, read) in ((string, string)[])[("parquet", "read_parquet('{0}')"), ("csv", "read_csv('{0}', header = true, all_varchar = true)")])
            {
                var answer = await fixture.QueryAsync(SqlFixture.TenantA, Sql, $"&format={format}", Token);
                Assert.Equal(HttpStatusCode.OK, answer.Status);
                Assert.True(answer.Stats!["filesScanned"]!.GetValue<int>() > 0);
                var path = Path.Combine(directory, $"result.{format}");
                await File.WriteAllBytesAsync(path, answer.Body, Token);
                using var command = duck.CreateCommand();
                command.CommandText = $"SELECT * FROM {string.Format(CultureInfo.InvariantCulture, read, path)}";
                using var reader = command.ExecuteReader();
                var actual = new List<string?[]>();
                while (reader.Read())
                {
                    actual.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => Canonical(reader.IsDBNull(i) ? null : reader.GetValue(i)))]);
                }

                Assert.Equal(expected.Count, actual.Count);
                for (var i = 0; i < expected.Count; i++)
                {
                    Assert.Equal(expected[i], actual[i]);
                }
            }

            var ndjson = await fixture.QueryAsync(SqlFixture.TenantA, Sql, "&format=ndjson", Token);
            var lines = ndjson.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(expected.Count, lines.Length);
            var names = json.Json["columns"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToArray();
            for (var i = 0; i < lines.Length; i++)
            {
                var line = JsonNode.Parse(lines[i])!.AsObject();
                Assert.Equal(expected[i], names.Select(n => Canonical(line[n])).ToArray());
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Pandas_reads_a_csv_result_straight_from_its_url()
    {
        DebianPython.Require("pandas", "it is the notebook client of the CSV export.");
        const string Sql = "SELECT service_name, severity_number, body, \"timestamp\" FROM logs ORDER BY trace_id";
        var url = new Uri(fixture.Process.QueryUrl, $"/api/v1/sql?format=csv&limit=100000&q={Uri.EscapeDataString(Sql)}");
        var start = new ProcessStartInfo(DebianPython.Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("""
            import json, sys, pandas
            frame = pandas.read_csv(sys.argv[1], storage_options={"X-Scope-OrgID": sys.argv[2]}, parse_dates=["timestamp"])
            print(json.dumps({"rows": len(frame), "services": frame["service_name"].value_counts().to_dict(), "severity": int(frame["severity_number"].sum()), "first": frame["timestamp"].min().isoformat()}))
            """);
        start.ArgumentList.Add(url.AbsoluteUri);
        start.ArgumentList.Add(SqlFixture.TenantA);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(Token);
        var errors = await process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);
        Assert.True(process.ExitCode == 0, errors);

        var fromPandas = JsonNode.Parse(output)!;
        var expected = await fixture.QueryAsync(SqlFixture.TenantA, "SELECT count(*), sum(severity_number), min(\"timestamp\") FROM logs", token: Token);
        Assert.Equal(expected.Rows[0]![0]!.GetValue<long>(), fromPandas["rows"]!.GetValue<long>());
        Assert.Equal(expected.Rows[0]![1]!.GetValue<long>(), fromPandas["severity"]!.GetValue<long>());
        Assert.Equal(DateTime.Parse(expected.Rows[0]![2]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal), DateTime.Parse(fromPandas["first"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal));
        Assert.Equal(SqlFixture.RowsOfA / SqlFixture.Services.Length, fromPandas["services"]![SqlFixture.Services[0]]!.GetValue<long>());
    }

    [Fact]
    public async Task Bad_requests_get_400_with_a_message_and_limits_apply()
    {
        var limited = await fixture.QueryAsync(SqlFixture.TenantA, "SELECT body FROM logs ORDER BY body", "&limit=5", Token);
        Assert.Equal(5, limited.Rows.Count);
        Assert.True(limited.Json["truncated"]!.GetValue<bool>());

        (string Sql, string Parameters, string Message)[] cases =
        [
            ("SELEC 1", "", "syntax error"),
            ("SELECT no_such_column FROM logs", "", "no_such_column"),
            ("SELECT * FROM traces", "", "does not exist"),
            ("SELECT 1", "&format=xml", "format"),
            ("SELECT 1", "&limit=0", "limit"),
            ("SELECT 1", "&limit=abc", "limit"),
            ("SELECT 1", "&start=yesterday", "start"),
            ("SELECT 1", "&start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", "before"),
            ("SELECT 1", "&snapshot=x", "snapshot"),
            ("  ", "", "empty"),
        ];
        foreach (var (sql, parameters, message) in cases)
        {
            var answer = await fixture.QueryAsync(SqlFixture.TenantA, sql, parameters, Token);
            Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{sql} {parameters} => {(int)answer.Status} {answer.Text}");
            Assert.Contains(message, answer.Error, StringComparison.OrdinalIgnoreCase);
        }

        using var noQuery = await fixture.Http.GetAsync(new Uri(fixture.Process.QueryUrl, "/api/v1/sql"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, noQuery.StatusCode);

        using var badBody = await fixture.Http.PostAsync(new Uri(fixture.Process.QueryUrl, "/api/v1/sql"), new StringContent("{\"query\":", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(HttpStatusCode.BadRequest, badBody.StatusCode);

        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Process.QueryUrl, "/api/v1/sql"))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query = "SELECT count(*) FROM logs", start = fixture.FirstDay.ToString("O"), end = fixture.FirstDay.AddDays(1).ToUnixTimeMilliseconds(), limit = 10 }), Encoding.UTF8, "application/json"),
        };
        post.Headers.Add("X-Scope-OrgID", SqlFixture.TenantA);
        using var posted = await fixture.Http.SendAsync(post, Token);
        var oneDay = JsonNode.Parse(await posted.Content.ReadAsStringAsync(Token))!;
        Assert.Equal(SqlFixture.RowsOfA / 5, oneDay["rows"]![0]![0]!.GetValue<long>());
    }

    [Fact]
    public async Task A_query_over_its_time_limit_gets_504_and_one_whose_client_leaves_is_cancelled()
    {
        const string Endless = "SELECT count(*) FROM logs a, logs b, logs c, logs d WHERE a.body || b.body < c.body || d.body";
        var timedOut = await fixture.QueryAsync(SqlFixture.TenantA, Endless, token: Token);
        Assert.Equal(HttpStatusCode.GatewayTimeout, timedOut.Status);
        Assert.Contains("longer than", timedOut.Error, StringComparison.Ordinal);

        using (var impatient = new HttpClient { Timeout = TimeSpan.FromSeconds(1) })
        using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Process.QueryUrl, $"/api/v1/sql?q={Uri.EscapeDataString(Endless)}")))
        {
            request.Headers.Add("X-Scope-OrgID", SqlFixture.TenantA);
            await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.SendAsync(request, Token));
        }

        // The client left after 1 s, well before the 5 s limit: the query must end as cancelled, and soon.
        var deadline = DateTime.UtcNow.AddSeconds(3.5);
        string metrics;
        do
        {
            await Task.Delay(100, Token);
            metrics = await fixture.Http.GetStringAsync(new Uri(fixture.Process.QueryUrl, "/metrics"), Token);
        }
        while (PrometheusSamples.Sum(metrics, "icegate_queries_total", ("outcome", "cancelled")) != 1 && DateTime.UtcNow < deadline);

        Assert.Equal(1, PrometheusSamples.Sum(metrics, "icegate_queries_total", ("outcome", "cancelled")));
        Assert.Equal(1, PrometheusSamples.Sum(metrics, "icegate_queries_total", ("outcome", "timed_out")));
        Assert.Equal(0, PrometheusSamples.Sum(metrics, "icegate_queries_running"));
        Assert.Equal(1, PrometheusSamples.Sum(metrics, "icegate_query_seconds_count", ("api", "sql"), ("outcome", "timed_out")));
    }

    private static string Plain(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A value as text, the same whichever format carried it.</summary>
    private static string? Canonical(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value => value.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private static string? Canonical(object? value) => value switch
    {
        null => null,
        string text => text,
        DateTime time => time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        System.Collections.IDictionary map => new JsonObject(map.Keys.Cast<object>().Select(k => KeyValuePair.Create(k.ToString()!, (JsonNode?)JsonValue.Create(map[k]?.ToString())))).ToJsonString(),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
