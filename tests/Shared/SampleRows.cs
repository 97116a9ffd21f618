namespace IceGate.Tests;

/// <summary>Generated rows in the shape of IceGate's tables, as DuckDB SQL.</summary>
internal static class SampleRows
{
    /// <summary>Rows of the logs table for one tenant and day, as SQL over range(n).</summary>
    public static string Logs(string tenant, DateOnly day, int rows, int seed = 0) => $$"""
        (SELECT '{{tenant}}' AS tenant_id,
                ['checkout', 'cart', 'search'][1 + ((i + {{seed}}) % 3)::INTEGER] AS service_name,
                TIMESTAMP '{{day:yyyy-MM-dd}}' + to_microseconds(((i * 215999999 + {{seed}}) % 86400000000)::BIGINT) AS timestamp,
                NULL::TIMESTAMP AS observed_timestamp,
                TIMESTAMP '{{day:yyyy-MM-dd}}' AS ingested_timestamp,
                md5((i + {{seed}})::VARCHAR) AS trace_id,
                substr(md5((i + {{seed}})::VARCHAR), 1, 16) AS span_id,
                CASE WHEN i % 10 = 0 THEN 17 ELSE 9 END AS severity_number,
                CASE WHEN i % 10 = 0 THEN 'ERROR' ELSE 'INFO' END AS severity_text,
                'request ' || (i + {{seed}}) || ' handled in ' || (i % 500) || ' ms' AS body,
                MAP {'service.name': 'checkout', 'host.name': 'node-' || (i % 4)} AS resource_attributes,
                'io.opentelemetry' AS scope_name,
                '1.0' AS scope_version,
                MAP {}::MAP(VARCHAR, VARCHAR) AS scope_attributes,
                MAP {'http.status_code': (200 + (i % 3) * 100)::VARCHAR} AS log_attributes,
                0 AS flags
         FROM range({{rows}}) t(i))
        """;
}
