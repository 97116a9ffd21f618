using Apache.Arrow;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Server;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using IceGate.Catalog;
using IceGate.Lakehouse.Iceberg;
using IceGate.QueryApi.FlightSql.Protocol;

namespace IceGate.QueryApi.FlightSql;

/// <summary>
/// Arrow Flight SQL over the query engine, for DBeaver, the JDBC and ADBC Flight SQL drivers and
/// Grafana's Flight SQL data source. A command (packed in <c>google.protobuf.Any</c>) goes to
/// <c>GetFlightInfo</c>, which answers with the result's schema and one ticket; <c>DoGet</c>
/// with the ticket streams the rows. Statements, parameterless prepared statements, SqlInfo and
/// the catalog commands are served; every other command, action and RPC is UNIMPLEMENTED.
/// Tickets and prepared statement handles carry the statement itself, so no call leaves state
/// behind and any querier can serve any ticket. The tenant is the caller's (the key's, or
/// <c>X-Scope-OrgID</c>), checked at every call.
/// </summary>
internal sealed class FlightSqlService(FlightSqlStatements statements, FlightSqlSettings settings) : FlightServer
{
    private const string CreatePreparedStatement = "CreatePreparedStatement";
    private const string ClosePreparedStatement = "ClosePreparedStatement";

    public override Task<FlightInfo> GetFlightInfo(FlightDescriptor request, ServerCallContext context) => GuardAsync(context, async () =>
    {
        var (schema, ticket) = await PlanAsync(request, context).ConfigureAwait(false);
        return new FlightInfo(schema, request, [new FlightEndpoint(ticket, [])], totalRecords: -1, totalBytes: -1);
    });

    public override Task<Schema> GetSchema(FlightDescriptor request, ServerCallContext context) =>
        GuardAsync(context, async () => (await PlanAsync(request, context).ConfigureAwait(false)).Schema);

    public override Task DoGet(FlightTicket ticket, FlightServerRecordBatchStreamWriter responseStream, ServerCallContext context) => GuardAsync(context, async () =>
    {
        var tenant = Tenant(context);
        var command = Any.Parser.ParseFrom(ticket.Ticket);
        if (command.TryUnpack(out TicketStatementQuery statement))
        {
            await statements.StreamAsync(tenant, Handle(statement.StatementHandle, tenant).Query, responseStream, context.CancellationToken).ConfigureAwait(false);
            return true;
        }

        using var batch = await CatalogBatchAsync(command, tenant, context.CancellationToken).ConfigureAwait(false)
            ?? throw FlightSqlStatus.InvalidArgument("The ticket is not one this service issued.");
        await responseStream.WriteAsync(batch).ConfigureAwait(false);
        return true;
    });

    public override Task DoAction(FlightAction request, IAsyncStreamWriter<FlightResult> responseStream, ServerCallContext context) => GuardAsync(context, async () =>
    {
        var tenant = Tenant(context);
        switch (request.Type)
        {
            case CreatePreparedStatement:
                var create = Unpack<ActionCreatePreparedStatementRequest>(request.Body, request.Type);
                if (create.HasTransactionId)
                {
                    throw FlightSqlStatus.Unimplemented("A transaction");
                }

                var schema = await statements.DescribeAsync(tenant, create.Query, context.CancellationToken).ConfigureAwait(false);
                var result = new ActionCreatePreparedStatementResult { PreparedStatementHandle = NewHandle(tenant, create.Query), DatasetSchema = ByteString.CopyFrom(ArrowSerializationHelpers.SerializeSchema(schema)) };
                await responseStream.WriteAsync(new FlightResult(Any.Pack(result).ToByteString())).ConfigureAwait(false);
                return true;
            case ClosePreparedStatement:
                // The handle holds the statement, not a resource: closing checks it and frees nothing.
                Handle(Unpack<ActionClosePreparedStatementRequest>(request.Body, request.Type).PreparedStatementHandle, tenant);
                return true;
            default:
                throw FlightSqlStatus.Unimplemented($"The action '{request.Type}'");
        }
    });

    public override async Task ListActions(IAsyncStreamWriter<FlightActionType> responseStream, ServerCallContext context)
    {
        await responseStream.WriteAsync(new FlightActionType(CreatePreparedStatement, "Checks a statement (without parameters) and returns a handle with its result's schema.")).ConfigureAwait(false);
        await responseStream.WriteAsync(new FlightActionType(ClosePreparedStatement, "Closes a prepared statement handle.")).ConfigureAwait(false);
    }

    /// <summary>
    /// Each call carries its own key, so a handshake has nothing to establish; it is answered
    /// with an empty response for clients that always begin with one.
    /// </summary>
    public override async Task Handshake(IAsyncStreamReader<FlightHandshakeRequest> requestStream, IAsyncStreamWriter<FlightHandshakeResponse> responseStream, ServerCallContext context)
    {
        if (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(FlightHandshakeResponse.Empty).ConfigureAwait(false);
        }
    }

    public override Task DoPut(FlightServerRecordBatchStreamReader requestStream, IAsyncStreamWriter<FlightPutResult> responseStream, ServerCallContext context) =>
        throw FlightSqlStatus.Unimplemented("DoPut (updates, bulk ingestion and parameter binding)");

    public override Task ListFlights(FlightCriteria request, IAsyncStreamWriter<FlightInfo> responseStream, ServerCallContext context) =>
        throw FlightSqlStatus.Unimplemented("ListFlights");

    public override Task DoExchange(FlightServerRecordBatchStreamReader requestStream, FlightServerRecordBatchStreamWriter responseStream, ServerCallContext context) =>
        throw FlightSqlStatus.Unimplemented("DoExchange");

    /// <summary>A command's result schema and the ticket that fetches its rows.</summary>
    private async Task<(Schema Schema, FlightTicket Ticket)> PlanAsync(FlightDescriptor descriptor, ServerCallContext context)
    {
        if (descriptor.Type != FlightDescriptorType.Command)
        {
            throw FlightSqlStatus.Unimplemented("A path descriptor");
        }

        var tenant = Tenant(context);
        var command = Any.Parser.ParseFrom(descriptor.Command);
        string sql;
        if (command.TryUnpack(out CommandStatementQuery statement))
        {
            sql = statement.HasTransactionId ? throw FlightSqlStatus.Unimplemented("A transaction") : statement.Query;
        }
        else if (command.TryUnpack(out CommandPreparedStatementQuery prepared))
        {
            sql = Handle(prepared.PreparedStatementHandle, tenant).Query;
        }
        else
        {
            // A catalog command is its own ticket; its answer is small, so its schema is its batch's.
            using var batch = await CatalogBatchAsync(command, tenant, context.CancellationToken).ConfigureAwait(false) ?? throw FlightSqlStatus.Unimplemented($"The command {command.TypeUrl}");
            return (batch.Schema, new FlightTicket(descriptor.Command));
        }

        var ticket = new TicketStatementQuery { StatementHandle = NewHandle(tenant, sql) };
        return (await statements.DescribeAsync(tenant, sql, context.CancellationToken).ConfigureAwait(false), new FlightTicket(Any.Pack(ticket).ToByteString()));
    }

    private async Task<RecordBatch?> CatalogBatchAsync(Any command, string tenant, CancellationToken cancellationToken)
    {
        if (command.TryUnpack(out CommandGetTables tables))
        {
            var names = CatalogBatches.TableNames(tables, TableSchemas.All.Select(t => t.Name));
            byte[][]? schemas = null;
            if (tables.IncludeSchema)
            {
                schemas = new byte[names.Count][];
                for (var i = 0; i < names.Count; i++)
                {
                    schemas[i] = ArrowSerializationHelpers.SerializeSchema(await statements.DescribeAsync(tenant, $"SELECT * FROM \"{names[i]}\"", cancellationToken).ConfigureAwait(false));
                }
            }

            return CatalogBatches.Tables(names, schemas);
        }

        return command.Is(CommandGetCatalogs.Descriptor) ? CatalogBatches.Catalogs()
            : command.Is(CommandGetDbSchemas.Descriptor) ? CatalogBatches.DbSchemas()
            : command.Is(CommandGetTableTypes.Descriptor) ? CatalogBatches.TableTypes()
            : command.TryUnpack(out CommandGetSqlInfo info) ? SqlInfoBatch.Build(SqlInfoBatch.Values(settings.Version), info.Info)
            : null;
    }

    private string Tenant(ServerCallContext context) =>
        Tenants.Resolve(context.RequestHeaders.GetValue(Tenants.Header.ToLowerInvariant()), settings.DefaultTenant, out var problem)
        ?? throw FlightSqlStatus.InvalidArgument(problem!);

    private static ByteString NewHandle(string tenant, string sql) => new StatementHandle { Tenant = tenant, Query = sql }.ToByteString();

    /// <summary>A handle this service issued, for the caller's own tenant.</summary>
    private static StatementHandle Handle(ByteString bytes, string tenant)
    {
        StatementHandle handle;
        try
        {
            handle = StatementHandle.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            throw FlightSqlStatus.InvalidArgument("The statement handle is not one this service issued.");
        }

        return handle.Tenant == tenant ? handle : throw new RpcException(new Status(StatusCode.PermissionDenied, "The statement handle belongs to another tenant."));
    }

    private static T Unpack<T>(ByteString body, string action)
        where T : IMessage<T>, new() =>
        Any.Parser.ParseFrom(body).TryUnpack(out T message) ? message : throw FlightSqlStatus.InvalidArgument($"The body of '{action}' must be an Any holding {new T().Descriptor.FullName}.");

    private async Task<T> GuardAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException && FlightSqlStatus.From(e, context.CancellationToken.IsCancellationRequested, settings.Query.Timeout) is { } status)
        {
            throw status;
        }
    }
}
