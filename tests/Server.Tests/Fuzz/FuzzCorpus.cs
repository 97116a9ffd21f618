using System.Text;
using IceGate.Server.Tests.FlightSql;
using IceGate.Tests;

namespace IceGate.Server.Tests.Fuzz;

/// <summary>The valid inputs the fuzz suite mutates, one family per protocol.</summary>
internal static class FuzzCorpus
{
    public static readonly string[] LogQL =
    [
        "{service_name=\"checkout\"}",
        "{service_name=~\"check.*\", level!=\"debug\"} |= \"order\" != \"ping\" |~ \"(?i)fail\"",
        "{service_name=\"checkout\"} | json | status >= 500 | line_format \"{{.status}} {{ .path | upper }}\"",
        "{service_name=\"payments\"} | logfmt | duration > 10s and bytes < 20MB | drop level",
        "{service_name=\"gateway\"} | pattern \"<ip> - <_> [<ts>] \\\"<method> <path>\\\" <status>\" | status=\"200\"",
        "{service_name=\"gateway\"} | regexp \"(?P<method>\\\\w+) (?P<path>\\\\S+)\" | label_format m=\"{{.method}}\"",
        "sum by (service_name) (count_over_time({service_name=~\".+\"}[1m]))",
        "rate({service_name=\"checkout\"} |= \"error\" [5m]) / rate({service_name=\"checkout\"}[5m]) > bool 0.01",
        "topk(3, sum by (level) (bytes_over_time({service_name=\"checkout\"}[10m] offset 1h)))",
        "quantile_over_time(0.99, {service_name=\"payments\"} | logfmt | unwrap duration(latency) [5m]) by (path)",
        "avg_over_time({service_name=\"payments\"} | logfmt | unwrap bytes [1m]) - 2 ^ 3 % 5",
        "vector(1) + vector(1)",
        "sum(count_over_time({service_name=\"a\"}[1m])) or vector(0)",
        "absent_over_time({service_name=\"nothing\"}[1h])",
        "max without (level) (max_over_time({service_name=\"w\"} | json | unwrap n [30s]))",
    ];

    public static readonly string[] Sql =
    [
        "SELECT * FROM logs LIMIT 5",
        "SELECT service_name, count(*) FROM logs WHERE \"timestamp\" >= TIMESTAMP '2020-01-01' GROUP BY 1 ORDER BY 2 DESC",
        "SELECT body FROM logs WHERE body LIKE '%order%' AND severity_number >= 9",
        "WITH t AS (SELECT trace_id, span_id FROM spans) SELECT count(*) FROM t JOIN logs USING (trace_id)",
        "SELECT log_attributes['body.length'], resource_attributes['service.name'] FROM logs",
        "SELECT name, sum(value) FROM metrics GROUP BY name",
        "SELECT 1 UNION ALL SELECT 2",
        "SELECT * FROM (SELECT * FROM logs) AS l WHERE l.service_name IN ('a', 'b')",
        "SELECT regexp_matches(body, '(a+)+$'), length(body) FROM logs",
        "SELECT epoch_us(\"timestamp\") // 60000000 AS m, count(*) FROM logs GROUP BY ALL",
    ];

    /// <summary>Query-string parameters of the Loki and SQL endpoints, with junk values.</summary>
    public static readonly string[] ParameterNames = ["start", "end", "since", "step", "interval", "limit", "direction", "time", "format", "snapshot", "as_of", "match[]", "targetLabels", "aggregateBy", "q", "query"];

    public static readonly string[] ParameterValues =
    [
        "", "0", "-1", "1e309", "NaN", "Infinity", "99999999999999999999999999", "1.5", "5m", "-5m", "0s", "1ns", "1000000000000000000000",
        "2026-12-04T00:00:00Z", "2026-13-45T99:99:99Z", "forward", "backward", "sideways", "json", "csv", "parquet", "ndjson", "objects", "xml",
        "{a=\"b\"}", "{", "\u0000", "%", "%%", "\ud83d\ude00",
    ];

    public static readonly string[] QueryPaths =
    [
        "/loki/api/v1/query_range", "/loki/api/v1/query", "/loki/api/v1/labels", "/loki/api/v1/label/service_name/values", "/loki/api/v1/series",
        "/loki/api/v1/index/stats", "/loki/api/v1/index/volume", "/loki/api/v1/index/volume_range", "/api/v1/logql", "/api/v1/sql",
    ];

    public static readonly string[] RestCatalogPaths =
    [
        "/v1/config", "/v1/namespaces", "/v1/namespaces/icegate", "/v1/namespaces/icegate/tables", "/v1/namespaces/icegate/tables/logs",
        "/v1/namespaces/icegate/tables/spans/snapshots", "/v1/namespaces/%2e%2e/tables/logs", "/v1/namespaces/icegate%00/tables", "/v1/namespaces/icegate/tables/..%2f..%2fetc",
    ];

    private static ulong NowNanos => (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>
    /// Flight calls (method, request message) carrying Flight SQL commands. Flight.proto:
    /// FlightDescriptor {type = 1 (2 = CMD), cmd = 2}, Ticket {ticket = 1}, Action {type = 1, body = 2}.
    /// </summary>
    public static readonly (string Method, Func<byte[]> Request)[] FlightSql =
    [
        ("GetFlightInfo", () => Descriptor(FlightSqlCommands.Statement("SELECT body, resource_attributes FROM logs WHERE body LIKE '%fuzz%' LIMIT 5"))),
        ("GetFlightInfo", () => Descriptor(FlightSqlCommands.GetTables("%o%", includeSchema: true))),
        ("GetFlightInfo", () => Descriptor(FlightSqlCommands.GetSqlInfo(0, 3, 504))),
        ("GetSchema", () => Descriptor(FlightSqlCommands.Statement("SELECT count(*) FROM spans"))),
        ("DoGet", () => new Proto().Bytes(1, FlightSqlCommands.GetTables(null, includeSchema: true))),
        ("DoGet", () => new Proto().Bytes(1, FlightSqlCommands.GetSqlInfo())),
        ("DoAction", () => new Proto().String(1, "CreatePreparedStatement").Bytes(2, FlightSqlCommands.CreatePreparedStatement("SELECT 1 AS one"))),
        ("DoAction", () => new Proto().String(1, "ClosePreparedStatement").Bytes(2, FlightSqlCommands.ClosePreparedStatement([1, 2, 3]))),
        ("ListActions", () => []),
    ];

    public static byte[] Logs() => Proto.Logs("fuzz", "fuzz seed line", "{\"status\":500,\"path\":\"/x\"}", "level=error duration=3s");

    public static byte[] Traces() => Proto.Traces("fuzz", "GET /fuzz", NowNanos);

    public static byte[] Metrics() => Proto.Metrics("fuzz", NowNanos);

    public static string LogsJson() => $$$$"""
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"fuzz"}}]},
         "scopeLogs":[{"scope":{"name":"tests"},"logRecords":[{"timeUnixNano":"{{{{NowNanos}}}}","severityNumber":9,"body":{"stringValue":"json seed"},
         "attributes":[{"key":"k","value":{"kvlistValue":{"values":[{"key":"n","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}}}],
         "traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708"}]}]}]}
        """;

    public static byte[] LokiPushProtobuf()
    {
        var entry = new Proto().Message(1, new Proto().Varint(1, NowNanos / 1_000_000_000).Varint(2, 123)).String(2, "loki seed line").Message(3, new Proto().String(1, "trace_id").String(2, "abc"));
        return new Proto().Message(1, new Proto().String(1, "{service_name=\"fuzz\", level=\"info\"}").Message(2, entry));
    }

    public static string LokiPushJson() => $$$"""{"streams":[{"stream":{"service_name":"fuzz","env":"prod"},"values":[["{{{NowNanos}}}","loki json seed",{"trace_id":"abc"}]]}]}""";

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Descriptor(byte[] command) => new Proto().Varint(1, 2).Bytes(2, command);
}
