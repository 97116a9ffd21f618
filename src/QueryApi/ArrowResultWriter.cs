using Apache.Arrow;
using Apache.Arrow.Ipc;
using IceGate.Lakehouse.DuckDB;

namespace IceGate.QueryApi;

/// <summary>
/// Streams a result as an Arrow IPC stream (<c>application/vnd.apache.arrow.stream</c>), each
/// DuckDB chunk as one record batch (<see cref="DuckDBArrowExport"/>), so memory stays at a chunk
/// whatever the result's size. pandas, polars and pyarrow read the stream straight from the URL.
/// </summary>
internal static class ArrowResultWriter
{
    public const string ContentType = "application/vnd.apache.arrow.stream";

    /// <summary>Writes the rows the reader has left (its first row may already be read), at most <paramref name="limit"/>.</summary>
    public static async Task WriteAsync(DuckDBDataReader reader, Stream output, int limit, QueryCounters counters, CancellationToken cancellationToken)
    {
        var schema = DuckDBArrowExport.Schema(reader);
        using var writer = new ArrowStreamWriter(output, schema, leaveOpen: true);
        await writer.WriteStartAsync(cancellationToken).ConfigureAwait(false);
        long rows = 0;
        while (rows < limit && DuckDBArrowExport.NextBatch(reader, schema) is { } batch)
        {
            using (batch)
            {
                var take = (int)Math.Min(batch.Length, limit - rows);
                if (take < batch.Length)
                {
                    counters.Truncated = true;
                    using var head = new RecordBatch(schema, batch.Arrays.Select(array => ArrowArrayFactory.Slice(array, 0, take)), take);
                    await writer.WriteRecordBatchAsync(head, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await writer.WriteRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                }

                rows += take;
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        // A result of exactly `limit` rows is truncated only if DuckDB has more.
        if (rows == limit && !counters.Truncated && DuckDBArrowExport.NextBatch(reader, schema) is { } more)
        {
            more.Dispose();
            counters.Truncated = true;
        }

        counters.Rows = rows;
        await writer.WriteEndAsync(cancellationToken).ConfigureAwait(false);
    }
}
