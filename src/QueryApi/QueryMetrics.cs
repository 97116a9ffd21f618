namespace IceGate.QueryApi;

/// <summary>This process's query counters, for <c>/metrics</c>.</summary>
public sealed class QueryMetrics
{
    private readonly long[] _outcomes = new long[Enum.GetValues<QueryOutcome>().Length];
    private long _running;
    private long _bytesFetched;
    private long _objectsFetched;
    private long _cacheHits;

    /// <summary>Queries running now.</summary>
    public long Running => Interlocked.Read(ref _running);

    /// <summary>Object bytes fetched into the local cache.</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    /// <summary>Objects fetched into the local cache.</summary>
    public long ObjectsFetched => Interlocked.Read(ref _objectsFetched);

    /// <summary>Objects a query found in the local cache.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>An outcome as a metric label.</summary>
    public static string OutcomeLabel(QueryOutcome outcome) => outcome == QueryOutcome.TimedOut ? "timed_out" : outcome.ToString().ToLowerInvariant();

    /// <summary>Queries that ended with <paramref name="outcome"/>.</summary>
    public long Ended(QueryOutcome outcome) => Interlocked.Read(ref _outcomes[(int)outcome]);

    internal void Started() => Interlocked.Increment(ref _running);

    private static readonly System.Diagnostics.Metrics.Histogram<double> s_latency =
        Lakehouse.IceGateTelemetry.SecondsHistogram("icegate_query", "Query time by API (sql, loki, logql) and outcome.");

    internal void Finished(QueryOutcome outcome, QueryCounters counters, string api, TimeSpan elapsed)
    {
        s_latency.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("api", api), new KeyValuePair<string, object?>("outcome", OutcomeLabel(outcome)));
        Interlocked.Decrement(ref _running);
        Interlocked.Add(ref _bytesFetched, counters.BytesFetched);
        Interlocked.Add(ref _objectsFetched, counters.ObjectsFetched);
        Interlocked.Add(ref _cacheHits, counters.CacheHits);
        Interlocked.Increment(ref _outcomes[(int)outcome]);
    }
}

/// <summary>How a query ended.</summary>
public enum QueryOutcome
{
    /// <summary>Answered in full.</summary>
    Succeeded,

    /// <summary>Refused as the client's mistake (4xx).</summary>
    Refused,

    /// <summary>Failed on the server's side (5xx).</summary>
    Failed,

    /// <summary>The client went away before the end.</summary>
    Cancelled,

    /// <summary>Stopped by the time limit.</summary>
    TimedOut,
}
