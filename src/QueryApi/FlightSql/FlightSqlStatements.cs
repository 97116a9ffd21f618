using System.Data;
using System.Diagnostics;
using Apache.Arrow;
using Apache.Arrow.Flight.Server;
using Grpc.Core;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.QueryApi.FlightSql;

/// <summary>
/// Flight SQL statements on the query engine, as the SQL API runs them: the tenant's views,
/// admission and scan limits, the query timeout, metrics and a trace per statement.
/// </summary>
internal sealed class FlightSqlStatements(QueryEngine engine, QueryMetrics metrics, FlightSqlSettings settings)
{
    /// <summary>The statement's result columns, found on empty views: no file is planned or fetched.</summary>
    public async Task<Schema> DescribeAsync(string tenant, string sql, CancellationToken callToken)
    {
        var query = Query(tenant, sql);
        using var timeout = Timeout(callToken);
        using var prepared = await engine.DescribeAsync(query, timeout.Token).ConfigureAwait(false);
        using var command = prepared.Connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {query.Subquery} LIMIT 0";
        using var reader = command.ExecuteReader(CommandBehavior.Default, timeout.Token);
        return DuckDBArrowExport.Schema(reader);
    }

    /// <summary>
    /// Runs the statement and streams its rows, a DuckDB chunk per record batch. A result past
    /// <c>Query:MaxLimit</c> rows fails rather than end early: a Flight SQL client has no way to
    /// tell a cut result from a whole one.
    /// </summary>
    public async Task StreamAsync(string tenant, string sql, FlightServerRecordBatchStreamWriter output, CancellationToken callToken)
    {
        var clock = Stopwatch.StartNew();
        var query = Query(tenant, sql);
        using var activity = Lakehouse.IceGateTelemetry.Source.StartActivity("query flightsql");
        activity?.SetTag("icegate.tenant", tenant).SetTag("db.query.text", sql);
        using var timeout = Timeout(callToken);
        var token = timeout.Token;
        var counters = new QueryCounters();
        var outcome = QueryOutcome.Failed;
        metrics.Started();
        try
        {
            using var prepared = await engine.PrepareAsync(query, token).ConfigureAwait(false);
            counters = prepared.Counters;
            using var command = prepared.Connection.CreateCommand();
            command.CommandText = query.Sql;

            // Executing is where DuckDB does most of the work: off the request thread.
            using var reader = await Task.Factory.StartNew(() => command.ExecuteReader(CommandBehavior.Default, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
            var schema = DuckDBArrowExport.Schema(reader);
            await output.SetupStream(schema).ConfigureAwait(false);
            while (DuckDBArrowExport.NextBatch(reader, schema) is { } batch)
            {
                using (batch)
                {
                    if (counters.Rows + batch.Length > query.Limit)
                    {
                        throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The result has more than {query.Limit:N0} rows (Query:MaxLimit); narrow it with WHERE or LIMIT."));
                    }

                    await output.WriteAsync(batch).ConfigureAwait(false);
                    counters.Rows += batch.Length;
                }
            }

            outcome = QueryOutcome.Succeeded;
        }
        catch (Exception e) when (QueryErrors.IsCancellation(e))
        {
            outcome = callToken.IsCancellationRequested ? QueryOutcome.Cancelled : QueryOutcome.TimedOut;
            throw;
        }
        catch (Exception e) when (e is RpcException || QueryErrors.Status(e) is < 500)
        {
            outcome = QueryOutcome.Refused;
            throw;
        }
        finally
        {
            metrics.Finished(outcome, counters, "flightsql", clock.Elapsed);
        }
    }

    private SqlQuery Query(string tenant, string sql) => new(sql, tenant, FromMicros: null, ToMicros: null, settings.Query.MaxLimit, ResultFormat.Arrow);

    private CancellationTokenSource Timeout(CancellationToken callToken)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        timeout.CancelAfter(settings.Query.Timeout);
        return timeout;
    }
}
