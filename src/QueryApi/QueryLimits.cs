namespace IceGate.QueryApi;

/// <summary>
/// What one tenant's queries may take (<c>Query:Limits:*</c>, overridden per tenant by
/// <c>Query:TenantLimits:&lt;tenant&gt;:*</c>): one tenant's dashboard storm or runaway query
/// must not starve the others, nor the ingest that shares the process.
/// </summary>
public sealed class QueryLimits
{
    /// <summary>Statements a tenant may run at once on this process; more are refused with 429.</summary>
    public int MaxConcurrentQueries { get; set; } = 16;

    /// <summary>The largest <c>limit</c> of a LogQL log query (Loki's <c>max_entries_limit_per_query</c>).</summary>
    public int MaxEntries { get; set; } = 5000;

    /// <summary>The most series a LogQL metric query may produce (Loki's <c>max_query_series</c> is 500).</summary>
    public int MaxSeries { get; set; } = 10_000;

    /// <summary>The most points (series × time buckets) a LogQL range aggregation may hold, 32 bytes each.</summary>
    public long MaxPoints { get; set; } = 10_000_000;

    /// <summary>The most data-file and WAL bytes one statement may scan; 0 for no limit.</summary>
    public long MaxBytesScanned { get; set; }

    /// <summary>These limits with <paramref name="overrides"/> applied.</summary>
    public QueryLimits With(QueryLimitOverrides? overrides) => overrides is null ? this : new QueryLimits
    {
        MaxConcurrentQueries = overrides.MaxConcurrentQueries ?? MaxConcurrentQueries,
        MaxEntries = overrides.MaxEntries ?? MaxEntries,
        MaxSeries = overrides.MaxSeries ?? MaxSeries,
        MaxPoints = overrides.MaxPoints ?? MaxPoints,
        MaxBytesScanned = overrides.MaxBytesScanned ?? MaxBytesScanned,
    };
}

/// <summary>One tenant's own values for some of the <see cref="QueryLimits"/>; unset ones come from <c>Query:Limits</c>.</summary>
public sealed class QueryLimitOverrides
{
    /// <inheritdoc cref="QueryLimits.MaxConcurrentQueries"/>
    public int? MaxConcurrentQueries { get; set; }

    /// <inheritdoc cref="QueryLimits.MaxEntries"/>
    public int? MaxEntries { get; set; }

    /// <inheritdoc cref="QueryLimits.MaxSeries"/>
    public int? MaxSeries { get; set; }

    /// <inheritdoc cref="QueryLimits.MaxPoints"/>
    public long? MaxPoints { get; set; }

    /// <inheritdoc cref="QueryLimits.MaxBytesScanned"/>
    public long? MaxBytesScanned { get; set; }
}
