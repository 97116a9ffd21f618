using System.Net;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Client;
using Apache.Arrow.Types;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using IceGate.Lakehouse.Iceberg;
using IceGate.Tests;

namespace IceGate.Server.Tests.FlightSql;

/// <summary>The Flight SQL endpoint through the Arrow project's own FlightClient, over the real binary's listener.</summary>
public sealed class FlightSqlTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("icegate-flightsql-").FullName;
    private readonly HttpClient _http = new();

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_statement_streams_the_rows_the_sql_api_answers_for_the_tenant_in_the_schema_its_flight_info_promised()
    {
        await using var icegate = await StartAsync();
        await SendLogsAsync(icegate, "acme", null, [.. Enumerable.Range(0, 5000).Select(i => $"acme line {i:D5} ü")]);
        await SendLogsAsync(icegate, "globex", null, "globex secret");
        using var channel = GrpcChannel.ForAddress(icegate.FlightSqlUrl);
        var client = new FlightClient(channel);
        const string Sql = "SELECT body, severity_number, timestamp, resource_attributes FROM logs ORDER BY body";
        var headers = new Metadata { { "x-scope-orgid", "acme" } };

        var info = await client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.Statement(Sql)), headers).ResponseAsync;
        Assert.Equal(["body", "severity_number", "timestamp", "resource_attributes"], info.Schema.FieldsList.Select(f => f.Name));
        Assert.IsType<Apache.Arrow.Types.MapType>(info.Schema.GetFieldByName("resource_attributes").DataType);
        Assert.NotEmpty(info.Endpoints);
        var (schema, batches) = await ReadEndpointsAsync(client, info, headers);
        AssertSameFields(info.Schema, schema);
        Assert.True(batches.Count > 1, "5,000 rows come in more than one batch");

        var expected = await SqlRowsAsync(icegate, "acme", Sql);
        var bodies = batches.SelectMany(b => Strings(b, "body")).ToList();
        Assert.Equal(expected.Select(row => row["body"]!.GetValue<string>()), bodies);
        Assert.Equal(expected.Select(row => row["severity_number"]!.GetValue<int>()), batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((Int32Array)b.Column("severity_number")).GetValue(i)!.Value)));
        Assert.DoesNotContain("globex secret", bodies);

        // The other tenant's statement sees only its own row.
        var globex = new Metadata { { "x-scope-orgid", "globex" } };
        var (_, theirs) = await ReadEndpointsAsync(client, await client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.Statement("SELECT body FROM logs")), globex).ResponseAsync, globex);
        Assert.Equal(["globex secret"], theirs.SelectMany(b => Strings(b, "body")));

        // A ticket planned for one tenant is refused to another.
        var stolen = await Assert.ThrowsAsync<RpcException>(() => ReadEndpointsAsync(client, info, globex));
        Assert.Equal(StatusCode.PermissionDenied, stolen.StatusCode);
    }

    [Fact]
    public async Task A_prepared_statement_is_created_with_its_schema_run_and_closed()
    {
        await using var icegate = await StartAsync();
        await SendLogsAsync(icegate, "acme", null, "first", "second", "third");
        using var channel = GrpcChannel.ForAddress(icegate.FlightSqlUrl);
        var client = new FlightClient(channel);
        var headers = new Metadata { { "x-scope-orgid", "acme" } };

        var created = await ActionAsync(client, "CreatePreparedStatement", FlightSqlCommands.CreatePreparedStatement("SELECT body, length(body) AS n FROM logs WHERE body <> 'second' ORDER BY body"), headers);
        var result = FlightSqlCommands.Fields(FlightSqlCommands.Unpack(Assert.Single(created), "ActionCreatePreparedStatementResult"));
        var handle = result[1];
        var datasetSchema = ArrowSerializationHelpers.DeserializeSchema(result[2]);
        Assert.Equal(["body", "n"], datasetSchema.FieldsList.Select(f => f.Name));
        Assert.False(result.ContainsKey(3) && result[3].Length > 0, "a parameterless statement has no parameter schema");

        var info = await client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.PreparedStatement(handle)), headers).ResponseAsync;
        AssertSameFields(datasetSchema, info.Schema);
        var (schema, batches) = await ReadEndpointsAsync(client, info, headers);
        AssertSameFields(datasetSchema, schema);
        Assert.Equal(["first", "third"], batches.SelectMany(b => Strings(b, "body")));
        Assert.Equal([5L, 5L], batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(i => ((Int64Array)b.Column("n")).GetValue(i)!.Value)));

        Assert.Empty(await ActionAsync(client, "ClosePreparedStatement", FlightSqlCommands.ClosePreparedStatement(handle), headers));
        var other = await Assert.ThrowsAsync<RpcException>(() => ActionAsync(client, "ClosePreparedStatement", FlightSqlCommands.ClosePreparedStatement(handle), new Metadata { { "x-scope-orgid", "globex" } }));
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);

        var bad = await Assert.ThrowsAsync<RpcException>(() => ActionAsync(client, "CreatePreparedStatement", FlightSqlCommands.CreatePreparedStatement("SELECT nonsense FROM logs"), headers));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("nonsense", bad.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalog_commands_list_the_tables_with_their_arrow_schemas_and_sql_info_describes_the_server()
    {
        await using var icegate = await StartAsync();
        await SendLogsAsync(icegate, "acme", null, "a line");
        using var channel = GrpcChannel.ForAddress(icegate.FlightSqlUrl);
        var client = new FlightClient(channel);
        var headers = new Metadata { { "x-scope-orgid", "acme" } };

        var (tablesSchema, tables) = await CommandAsync(client, FlightSqlCommands.GetTables(null, includeSchema: true), headers);
        Assert.Equal(["catalog_name", "db_schema_name", "table_name", "table_type", "table_schema"], tablesSchema.FieldsList.Select(f => f.Name));
        var rows = Assert.Single(tables);
        Assert.Equal(["logs", "metrics", "spans"], Strings(rows, "table_name"));
        Assert.All(Strings(rows, "table_type"), type => Assert.Equal("TABLE", type));
        var schemas = (BinaryArray)rows.Column("table_schema");
        foreach (var (table, index) in new[] { (TableSchemas.Logs, 0), (TableSchemas.Metrics, 1), (TableSchemas.Spans, 2) })
        {
            var schema = ArrowSerializationHelpers.DeserializeSchema(schemas.GetBytes(index).ToArray());
            Assert.Equal(table.Schema.Fields.Select(f => f.Name), schema.FieldsList.Select(f => f.Name));

            // The listed schema is the one a statement over the table streams.
            var info = await client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.Statement($"SELECT * FROM {table.Name}")), headers).ResponseAsync;
            AssertSameFields(schema, (await ReadEndpointsAsync(client, info, headers)).Schema);
        }

        var (_, filtered) = await CommandAsync(client, FlightSqlCommands.GetTables("%s_an%", includeSchema: false), headers);
        Assert.Equal(["spans"], Strings(Assert.Single(filtered), "table_name"));
        Assert.Equal(4, Assert.Single(filtered).Schema.FieldsList.Count);

        var (_, types) = await CommandAsync(client, FlightSqlCommands.GetTableTypes(), headers);
        Assert.Equal(["TABLE"], Strings(Assert.Single(types), "table_type"));
        var (catalogsSchema, catalogs) = await CommandAsync(client, FlightSqlCommands.GetCatalogs(), headers);
        Assert.Equal("catalog_name", Assert.Single(catalogsSchema.FieldsList).Name);
        Assert.Equal(0, catalogs.Sum(b => b.Length));
        var (schemasSchema, _) = await CommandAsync(client, FlightSqlCommands.GetDbSchemas(), headers);
        Assert.Equal(["catalog_name", "db_schema_name"], schemasSchema.FieldsList.Select(f => f.Name));

        // SqlInfo: FLIGHT_SQL_SERVER_NAME (0), FLIGHT_SQL_SERVER_READ_ONLY (3), SQL_IDENTIFIER_QUOTE_CHAR (504), in the order asked.
        var (_, info0) = await CommandAsync(client, FlightSqlCommands.GetSqlInfo(3, 0, 504), headers);
        var sqlInfo = Assert.Single(info0);
        Assert.Equal([3u, 0u, 504u], Enumerable.Range(0, sqlInfo.Length).Select(i => ((UInt32Array)sqlInfo.Column("info_name")).GetValue(i)!.Value));
        var values = (DenseUnionArray)sqlInfo.Column("value");
        Assert.True(((BooleanArray)values.Fields[values.TypeIds[0]]).GetValue(values.ValueOffsets[0]));
        Assert.Equal("IceGate", ((StringArray)values.Fields[values.TypeIds[1]]).GetString(values.ValueOffsets[1]));
        Assert.Equal("\"", ((StringArray)values.Fields[values.TypeIds[2]]).GetString(values.ValueOffsets[2]));
        var (_, all) = await CommandAsync(client, FlightSqlCommands.GetSqlInfo(), headers);
        Assert.True(all.Sum(b => b.Length) >= 10, "every piece of information without a list");
    }

    [Fact]
    public async Task What_is_not_served_answers_unimplemented_and_bad_statements_invalid_argument()
    {
        await using var icegate = await StartAsync("--Query:MaxLimit=100", "--Query:DefaultLimit=100");
        using var channel = GrpcChannel.ForAddress(icegate.FlightSqlUrl);
        var client = new FlightClient(channel);

        Assert.Equal(StatusCode.Unimplemented, await RefusalAsync(() => client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.StatementUpdate("DELETE FROM logs"))).ResponseAsync));
        Assert.Equal(StatusCode.Unimplemented, await RefusalAsync(() => client.GetInfo(FlightDescriptor.CreatePathDescriptor("logs")).ResponseAsync));
        Assert.Equal(StatusCode.Unimplemented, await RefusalAsync(() => ActionAsync(client, "BeginTransaction", [], null)));
        Assert.Equal(StatusCode.Unimplemented, await RefusalAsync(() => client.ListFlights(new FlightCriteria()).ResponseStream.MoveNext(TestContext.Current.CancellationToken)));
        Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(() => client.GetInfo(FlightDescriptor.CreateCommandDescriptor([0xff, 0xff, 0xff])).ResponseAsync));
        Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(() => ReadTicketAsync(client, new FlightTicket("not a ticket"), null)));
        foreach (var sql in new[] { "SELECT * FROM read_csv('/etc/passwd')", "DROP TABLE logs", "SELECT FROM WHERE" })
        {
            Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(() => client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.Statement(sql))).ResponseAsync));
        }

        Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(() => client.GetInfo(FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.Statement("SELECT 1")), new Metadata { { "x-scope-orgid", "../etc" } }).ResponseAsync));

        // A result past Query:MaxLimit fails instead of ending early; one within it is whole.
        Assert.Equal(StatusCode.ResourceExhausted, await RefusalAsync(() => CommandAsync(client, FlightSqlCommands.Statement("SELECT unnest(range(101)) AS n"), null)));
        Assert.Equal(100, (await CommandAsync(client, FlightSqlCommands.Statement("SELECT unnest(range(100)) AS n"), null)).Batches.Sum(b => b.Length));

        // A handshake is answered (clients that begin with one go on), and the service is still up after all that.
        using var handshake = client.Handshake();
        await handshake.RequestStream.WriteAsync(new FlightHandshakeRequest(ByteString.Empty, 0));
        Assert.True(await handshake.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        var (_, one) = await CommandAsync(client, FlightSqlCommands.Statement("SELECT 42 AS answer"), null);
        Assert.Equal(42, ((Int32Array)Assert.Single(one).Column("answer")).GetValue(0));
    }

    [Fact]
    public async Task With_keys_a_call_needs_a_read_key_and_the_key_decides_the_tenant()
    {
        var keys = new Dictionary<string, (string Token, string Entry)>();
        foreach (var (name, tenant, scopes) in new[] { ("reader", "acme", "read"), ("writer", "acme", "write"), ("globex", "globex", "read,write") })
        {
            keys[name] = await IceGateKeys.NewAsync(name, tenant, scopes);
        }

        var keysFile = Path.Combine(_directory, "keys.json");
        await File.WriteAllTextAsync(keysFile, $"[{string.Join(",\n", keys.Values.Select(k => k.Entry))}]", TestContext.Current.CancellationToken);
        await using var icegate = await StartAsync($"--Auth:KeysFile={keysFile}");
        await SendLogsAsync(icegate, null, keys["writer"].Token, "acme's line");
        await SendLogsAsync(icegate, null, keys["globex"].Token, "globex's line");
        using var channel = GrpcChannel.ForAddress(icegate.FlightSqlUrl);
        var client = new FlightClient(channel);
        var statement = FlightDescriptor.CreateCommandDescriptor(FlightSqlCommands.Statement("SELECT body FROM logs"));
        Metadata Bearer(string key, string? tenant = null)
        {
            var metadata = new Metadata { { "authorization", $"Bearer {keys[key].Token}" } };
            if (tenant is not null)
            {
                metadata.Add("x-scope-orgid", tenant);
            }

            return metadata;
        }

        Assert.Equal(StatusCode.Unauthenticated, await RefusalAsync(() => client.GetInfo(statement).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await RefusalAsync(() => client.GetInfo(statement, new Metadata { { "authorization", "Bearer not-a-key" } }).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await RefusalAsync(() => client.GetInfo(statement, Bearer("writer")).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await RefusalAsync(() => client.GetInfo(statement, Bearer("reader", tenant: "globex")).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await RefusalAsync(() => CommandAsync(client, FlightSqlCommands.GetTables(null, includeSchema: true), Bearer("reader", tenant: "globex"))));

        var info = await client.GetInfo(statement, Bearer("reader")).ResponseAsync;
        Assert.Equal(["acme's line"], (await ReadEndpointsAsync(client, info, Bearer("reader"))).Batches.SelectMany(b => Strings(b, "body")));
        Assert.Equal(StatusCode.PermissionDenied, await RefusalAsync(() => ReadEndpointsAsync(client, info, Bearer("globex"))));
        Assert.Equal(StatusCode.Unauthenticated, await RefusalAsync(() => ReadEndpointsAsync(client, info, null)));
        var (_, theirs) = await CommandAsync(client, FlightSqlCommands.Statement("SELECT body FROM logs"), Bearer("globex"));
        Assert.Equal(["globex's line"], theirs.SelectMany(b => Strings(b, "body")));
    }

    private async Task<IceGateProcess> StartAsync(params string[] flags)
    {
        var icegate = IceGateProcess.Start(_directory, arguments: ["serve", .. flags]);
        await icegate.WaitUntilHealthyAsync(TestContext.Current.CancellationToken);
        return icegate;
    }

    private async Task SendLogsAsync(IceGateProcess icegate, string? tenant, string? token, params string[] bodies)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(icegate.OtlpHttpUrl, "/v1/logs")) { Content = new ByteArrayContent(Proto.Logs("checkout", bodies)) { Headers = { ContentType = new("application/x-protobuf") } } };
        if (tenant is not null)
        {
            request.Headers.Add("X-Scope-OrgID", tenant);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<List<JsonObject>> SqlRowsAsync(IceGateProcess icegate, string tenant, string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(icegate.QueryUrl, $"/api/v1/sql?format=ndjson&limit=100000&q={Uri.EscapeDataString(sql)}"));
        request.Headers.Add("X-Scope-OrgID", tenant);
        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];
    }

    /// <summary>GetFlightInfo for a command, then every endpoint's stream.</summary>
    private static async Task<(Schema Schema, List<RecordBatch> Batches)> CommandAsync(FlightClient client, byte[] command, Metadata? headers) =>
        await ReadEndpointsAsync(client, await client.GetInfo(FlightDescriptor.CreateCommandDescriptor(command), headers).ResponseAsync, headers);

    private static async Task<(Schema Schema, List<RecordBatch> Batches)> ReadEndpointsAsync(FlightClient client, FlightInfo info, Metadata? headers)
    {
        Schema? schema = null;
        var batches = new List<RecordBatch>();
        foreach (var endpoint in info.Endpoints)
        {
            var (endpointSchema, endpointBatches) = await ReadTicketAsync(client, endpoint.Ticket, headers);
            schema ??= endpointSchema;
            batches.AddRange(endpointBatches);
        }

        return (schema!, batches);
    }

    private static async Task<(Schema Schema, List<RecordBatch> Batches)> ReadTicketAsync(FlightClient client, FlightTicket ticket, Metadata? headers)
    {
        using var call = client.GetStream(ticket, headers);
        var batches = new List<RecordBatch>();
        while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
        {
            batches.Add(call.ResponseStream.Current);
        }

        return (await call.ResponseStream.Schema, batches);
    }

    private static async Task<List<byte[]>> ActionAsync(FlightClient client, string type, byte[] body, Metadata? headers)
    {
        using var call = client.DoAction(new FlightAction(type, body), headers);
        var results = new List<byte[]>();
        while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
        {
            results.Add(call.ResponseStream.Current.Body.ToByteArray());
        }

        return results;
    }

    private static async Task<StatusCode> RefusalAsync(Func<Task> call) => (await Assert.ThrowsAsync<RpcException>(call)).StatusCode;

    private static IEnumerable<string> Strings(RecordBatch batch, string column)
    {
        var array = (StringArray)batch.Column(column);
        return Enumerable.Range(0, batch.Length).Select(i => array.GetString(i));
    }

    private static void AssertSameFields(Schema expected, Schema actual) =>
        Assert.Equal(expected.FieldsList.Select(f => $"{f.Name}:{Describe(f.DataType)}"), actual.FieldsList.Select(f => $"{f.Name}:{Describe(f.DataType)}"));

    /// <summary>A type with everything that tells types apart: nested fields, time units and zones.</summary>
    private static string Describe(IArrowType type) => type switch
    {
        TimestampType timestamp => $"timestamp[{timestamp.Unit},{timestamp.Timezone}]",
        NestedType nested => $"{nested.Name}<{string.Join(",", nested.Fields.Select(f => $"{f.Name}:{Describe(f.DataType)}"))}>",
        _ => type.Name,
    };
}
